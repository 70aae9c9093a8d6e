"""Settings an admin changes from the app (not from the environment), one row per key.
The installation's secret key is one of them (app/core/secret_key.py)."""

from sqlmodel import Field, SQLModel


class AppSetting(SQLModel, table=True):
    """Settings an admin changes from the app (not from the environment)."""

    __tablename__ = "app_setting"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=500)

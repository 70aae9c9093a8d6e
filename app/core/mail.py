"""Sending mail through the installation's CARNET_SMTP_* settings."""

import smtplib
import ssl
from email.message import EmailMessage

from app.core.config import Settings


def can_send(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def send(settings: Settings, messages: list[EmailMessage]) -> None:
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=30)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        for message in messages:
            smtp.send_message(message)

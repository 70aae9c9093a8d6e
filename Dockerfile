FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CARNET_DATA_DIR=/app/data CARNET_HOST=0.0.0.0 CARNET_PORT=8000

WORKDIR /app
COPY pyproject.toml README.md alembic.ini babel.cfg ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY translations ./translations
RUN pip install --no-cache-dir -e . \
    && useradd --system --home /app carnet && mkdir -p /app/data && chown carnet /app/data
USER carnet
VOLUME ["/app/data"]
EXPOSE 8000
CMD ["sh", "-c", "carnet migrate && carnet serve"]

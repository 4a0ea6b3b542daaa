# SLA Tracker container image.
#
#   docker build -t sla-tracker .
#   docker run -p 8501:8501 -e SLA_COOKIE_KEY=... -e MONGO_URI=... sla-tracker
#
# Configuration comes from the environment at run time (MONGO_URI, SLA_DB,
# SLA_COOKIE_KEY, SLA_MAX_UPLOAD_MB, SLA_DATA_DIR); nothing secret is baked
# into the image. See docs/deploy.md and docker-compose.yml.
FROM python:3.11-slim

# PYTHONDONTWRITEBYTECODE: the code directory is read-only for the app user.
# STREAMLIT_SERVER_FILE_WATCHER_TYPE=none: code never changes inside a running
# container, so don't spend inotify watches (or rerun apps) on it.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    SLA_DATA_DIR=/app/data

WORKDIR /app

# Unprivileged runtime user with a real home (Streamlit writes ~/.streamlit).
RUN groupadd --system --gid 10001 sla \
    && useradd --system --uid 10001 --gid sla --create-home --home-dir /home/sla \
       --shell /usr/sbin/nologin sla

# Dependencies first, so code changes don't invalidate this (slow) layer.
# Every wheel we need ships for manylinux, so no compiler or apt packages.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# Application code stays owned by root (read-only for the app user); only the
# data directory is writable. It is used by the embedded SecantusDB store when
# MONGO_URI is unset; mount a volume there to keep that data:
#   docker run -v sla-data:/app/data ...
COPY . .
RUN mkdir -p /app/data && chown sla:sla /app/data

# Numeric so that runtimes can verify "non-root" without reading /etc/passwd.
USER 10001:10001

EXPOSE 8501

# python:3.11-slim has no curl; urllib is enough. urlopen raises on non-2xx or
# connection errors, which makes the check fail.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

# app.py serves Home.py's pages and the JSON API (/api/v1/, docs/api.md) on one port.
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]

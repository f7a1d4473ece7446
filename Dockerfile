# taskdesk's image: one image for the workers and the admin; the command picks the role.
#   docker build -t taskdesk .
#   docker run --env TASKDESK_DATABASE_URL=postgresql://taskdesk@db/taskdesk taskdesk
# Add the application's code (its tasks, extensions) in an image built FROM this one.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TASKDESK_HOME=/var/lib/taskdesk

WORKDIR /srv/taskdesk
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir '.[postgres]' \
    && useradd --system --home-dir /var/lib/taskdesk --create-home taskdesk

USER taskdesk
# SIGTERM lets running tasks finish; the orchestrator's grace period must cover the longest.
STOPSIGNAL SIGTERM
CMD ["taskdesk", "worker", "--concurrency", "4"]

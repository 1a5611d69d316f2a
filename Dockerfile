# clicksbot in a container: the README's own install steps, as a non-root user, with the
# database (and your config) on a volume at /data.
#
#   docker build -t clicksbot .
#   docker run -d --name clicksbot -v clicksbot-data:/data \
#     -e CLICKSBOT_TOKEN=123456789:AAH... clicksbot
#
# Put config.yaml in the volume (see config.example.yaml); without one the defaults are
# used, with the database at /data/clicksbot.sqlite3.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

# FriBiDi lets Pillow shape right-to-left text on certificates (Arabic names).
RUN apt-get update && apt-get install -y --no-install-recommends libfribidi0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 clicksbot
WORKDIR /app
COPY pyproject.toml README.md ./
COPY clicksbot ./clicksbot
COPY quizzes ./quizzes
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install . \
    && mkdir -m 700 /data && chown clicksbot:clicksbot /data

USER clicksbot
VOLUME ["/data"]
WORKDIR /data
ENV PATH="/opt/venv/bin:$PATH" CLICKSBOT_CONFIG=/data/config.yaml
# The shipped packs, unless config.yaml says packs_dir otherwise.
RUN printf 'database: /data/clicksbot.sqlite3\npacks_dir: /app/quizzes\n' > /tmp/default.yaml
EXPOSE 8443
CMD ["sh", "-c", "test -f \"$CLICKSBOT_CONFIG\" || CLICKSBOT_CONFIG=/tmp/default.yaml; exec clicksbot run --config \"$CLICKSBOT_CONFIG\""]

# One image for every service and the simulator; the command picks which (see compose.yaml).
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir 'uv>=0.5,<1'
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs libs
COPY services services
COPY simulators simulators
COPY devstack devstack
RUN uv sync --frozen --no-dev

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 migrator
WORKDIR /app
COPY --from=build --chown=migrator /app /app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 MIGRATOR_DATA_DIR=/tmp/migrator
USER migrator
CMD ["python", "-m", "migrator_gateway"]

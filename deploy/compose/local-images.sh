#!/usr/bin/env bash
# What compose.yaml needs where no container registry is reachable (no-registry.yaml names it):
#   migrator-local/bookworm   Debian bookworm (debootstrap --variant=minbase) with Debian's Python 3.11,
#                             the base of every image built here (the Dockerfile's BASE_IMAGE);
#   migrator-local/uv         the uv the project installs (.tools/uv), in place of ghcr.io/astral-sh/uv;
# and the build contexts, under .migrator/images/, of the images no-registry.yaml then builds:
# NATS (the venv's nats-server), Azurite (tools/node_modules) and the MongoDB wire server
# (nx-27017 at uv.lock's versions). Both imported images are made once; delete them to remake them.
# Needs root (debootstrap), Docker, and the Debian mirror (MIGRATOR_DEBIAN_MIRROR).
set -euo pipefail
cd "$(dirname "$0")/../.."

BASE=migrator-local/bookworm:latest
UV_IMAGE=migrator-local/uv:latest
MIRROR=${MIGRATOR_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CONTEXTS=.migrator/images

have() { docker image inspect "$1" >/dev/null 2>&1; }
mkdir -p "$CONTEXTS"

if ! have "$BASE"; then
    root=$(mktemp -d /tmp/migrator-bookworm.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    echo "== $BASE: debootstrap bookworm from $MIRROR"
    debootstrap --variant=minbase --include=python3,ca-certificates,passwd,wget \
        bookworm "$root" "$MIRROR" >"$CONTEXTS/debootstrap.log" 2>&1 \
        || { tail -20 "$CONTEXTS/debootstrap.log"; exit 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
        -c 'CMD ["python3"]' - "$BASE" >/dev/null
    rm -rf "$root"
    trap - EXIT
fi

if ! have "$UV_IMAGE"; then
    echo "== $UV_IMAGE: $(.tools/uv/bin/uv --version)"
    tar -C .tools/uv/bin -c uv | docker import - "$UV_IMAGE" >/dev/null
fi

mkdir -p "$CONTEXTS/nats" "$CONTEXTS/azurite" "$CONTEXTS/mongo-wire"
cp deploy/compose/local/nats.Dockerfile "$CONTEXTS/nats/Dockerfile"
cp .venv/bin/nats-server "$CONTEXTS/nats/nats-server"
cp deploy/compose/local/azurite.Dockerfile "$CONTEXTS/azurite/Dockerfile"
rsync -a --delete tools/node_modules/ "$CONTEXTS/azurite/node_modules/" 2>/dev/null \
    || { rm -rf "$CONTEXTS/azurite/node_modules"; cp -a tools/node_modules "$CONTEXTS/azurite/"; }
cp deploy/compose/local/mongo-wire.Dockerfile "$CONTEXTS/mongo-wire/Dockerfile"
.tools/uv/bin/uv export --frozen --quiet --no-hashes --only-group dev --no-emit-workspace --no-header \
    >"$CONTEXTS/mongo-wire/constraints.txt"
echo "== base images: $BASE, $UV_IMAGE; build contexts in $CONTEXTS"

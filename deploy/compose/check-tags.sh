#!/usr/bin/env bash
# Whether every image compose.yaml and the Dockerfile pin exists in its registry (`make compose-tags`):
# `docker manifest inspect` of each, no pull. Needs a reachable registry; says so when there is none.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
if ! deploy/compose/registry.sh; then
    echo "no container registry answers from here: no tag checked" >&2
    exit 2
fi
images=$( (sed -nE 's/^ *image: *([^ #]+).*/\1/p' compose.yaml; sed -nE 's/^ARG (BASE|UV)_IMAGE=(.+)/\2/p' Dockerfile) | sort -u)
missing=0
for image in $images; do
    if docker manifest inspect "$image" >/dev/null 2>&1; then
        echo "found    $image"
    else
        echo "MISSING  $image"
        missing=1
    fi
done
exit $missing

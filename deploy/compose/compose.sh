#!/usr/bin/env bash
# `docker compose` for compose.yaml on this machine, with whatever it needs (setup.sh) and the
# secrets compose.yaml asks for, generated once into .migrator/compose.env (git-ignored):
#   deploy/compose/compose.sh up --build --wait      (make compose-up)
#   deploy/compose/compose.sh ps | logs gateway | down
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(deploy/compose/setup.sh)"

env_file=.migrator/compose.env
if [ ! -s "$env_file" ]; then
    mkdir -p .migrator
    (umask 077 && python3 - >"$env_file" <<'PY'
import base64, os, secrets
print("MIGRATOR_SECRETS_KEY=" + base64.b64encode(os.urandom(32)).decode())
print("MIGRATOR_ORG_ID=org_" + secrets.token_hex(8))
print("MIGRATOR_API_KEY=tmk_test_" + secrets.token_urlsafe(32))
print("MIGRATOR_M365_CLIENT_SECRET=" + secrets.token_urlsafe(32))
print("MIGRATOR_ATLASSIAN_CLIENT_SECRET=" + secrets.token_urlsafe(32))
PY
    )
    echo "== secrets for compose.yaml generated in $env_file" >&2
fi

files=(-f compose.yaml)
IFS=: read -ra extra <<<"$MIGRATOR_COMPOSE_OVERRIDES"
for f in "${extra[@]}"; do files+=(-f "$f"); done
# shellcheck disable=SC2086  # MIGRATOR_COMPOSE is a command: "docker compose" or a path
exec $MIGRATOR_COMPOSE -p migrator "${files[@]}" --env-file "$env_file" "$@"

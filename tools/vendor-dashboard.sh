#!/usr/bin/env bash
# Copies the dashboard's UI toolkit from tools/node_modules (pinned in tools/package.json) into the
# gateway's package, next to the dashboard's own files: Preact (components and hooks), htm (JSX as
# tagged templates, so there is no build step) and Pico CSS (accessible, responsive defaults).
# Nothing loads from a CDN, and the copy travels in the gateway's wheel and image. Run after
# changing a version in tools/package.json (then `make install`); a test checks the copy is current.
set -euo pipefail
cd "$(dirname "$0")/.."
nm=tools/node_modules
dest=services/gateway/src/migrator_gateway/static/dashboard/vendor
rm -rf "$dest" && mkdir -p "$dest"
cp "$nm/preact/dist/preact.mjs" "$dest/preact.mjs"
# The hooks import "preact" by its bare name; a browser without an import map needs a path.
sed 's#from"preact"#from"./preact.mjs"#' "$nm/preact/hooks/dist/hooks.mjs" >"$dest/hooks.mjs"
grep -q 'from"./preact.mjs"' "$dest/hooks.mjs" || { echo "hooks.mjs: its import of preact moved" >&2; exit 1; }
cp "$nm/htm/dist/htm.mjs" "$dest/htm.mjs"
cp "$nm/@picocss/pico/css/pico.min.css" "$dest/pico.min.css"
cp "$nm/preact/LICENSE" "$dest/LICENSE.preact"
cp "$nm/htm/LICENSE" "$dest/LICENSE.htm"
cp "$nm/@picocss/pico/LICENSE.md" "$dest/LICENSE.pico.md"
python3 - "$nm" >"$dest/VERSIONS" <<'PY'
import json, sys
for name in ("preact", "htm", "@picocss/pico"):
    print(name, json.load(open(f"{sys.argv[1]}/{name}/package.json"))["version"])
PY
echo "dashboard toolkit in $dest:"; cat "$dest/VERSIONS"

#!/usr/bin/env bash
# Copies Swagger UI from tools/node_modules (swagger-ui-dist, pinned in tools/package.json) into the
# gateway's package, which serves /docs from it: nothing loads from a CDN, so the docs work on a
# network without internet, and the copy travels in the gateway's wheel and image. Run after
# changing the version in tools/package.json (then `make install`); a test checks the copy is current.
set -euo pipefail
cd "$(dirname "$0")/.."
src=tools/node_modules/swagger-ui-dist
dest=services/gateway/src/migrator_gateway/static/swagger-ui
rm -rf "$dest" && mkdir -p "$dest"
cp "$src"/{swagger-ui-bundle.js,swagger-ui.css,favicon-32x32.png,LICENSE,NOTICE,swagger-ui-bundle.js.LICENSE.txt} "$dest"/
python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['version'])" "$src/package.json" >"$dest/VERSION"
echo "Swagger UI $(cat "$dest/VERSION") in $dest"

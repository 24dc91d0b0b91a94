#!/usr/bin/env bash
# Exit 0 when Docker Hub's registry answers (its API root answers an anonymous call with 401; a
# proxy refusing it answers otherwise), 1 when it does not: the images must then be built here.
exec python3 - <<'PY'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen("https://registry-1.docker.io/v2/", timeout=10)
except urllib.error.HTTPError as error:
    sys.exit(error.code != 401)
except OSError:
    sys.exit(1)
PY

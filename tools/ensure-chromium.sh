#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's chromium (Playwright never downloads a browser).
# Installed here when missing and we may (root, apt-get: CI runs so); otherwise say what to do.
set -euo pipefail
browser=${MIGRATOR_CHROMIUM:-/usr/bin/chromium}
[ -x "$browser" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium for the dashboard's browser tests (apt-get install chromium)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q chromium >/dev/null \
        || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
    exit 0
fi
echo "The dashboard's browser tests need Chromium at $browser: sudo apt-get install -y chromium" >&2
echo "(or set MIGRATOR_CHROMIUM to another Chromium's path)" >&2
exit 1

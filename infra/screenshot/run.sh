#!/usr/bin/env bash
# Open every dashboard of dashboards/ in headless Debian Chromium, fail on any chart error, and save
# screenshots: infra/screenshot/run.sh OUT_DIR [SLUG...]   (default: every dashboard)
# Installs Chromium (apt) and playwright-core (npm, into the download cache) on first use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
: "${GOVLAKE_CACHE:?run through govlake config}" "${GOVLAKE_SECRETS_FILE:?}" "${GOVLAKE_SUPERSET_PORT:?}"
out=${1:?usage: run.sh OUT_DIR [SLUG...]}
shift
# Chromium, and a CJK font so Chinese labels render instead of empty boxes.
if ! command -v chromium >/dev/null || [ ! -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; then
  log "installing Debian chromium and fonts-wqy-zenhei"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
fi
work="$GOVLAKE_CACHE/screenshot"
mkdir -p "$work"
cp "$here/package.json" "$here/shot.mjs" "$work/"
[ -d "$work/node_modules/playwright-core" ] || (cd "$work" && npm install --silent --no-audit --no-fund)
password=$(grep -E '^SUPERSET_ADMIN_PASSWORD=' "$GOVLAKE_SECRETS_FILE" | cut -d= -f2-)
case "$out" in /*) ;; *) out="$PWD/$out";; esac
mkdir -p "$out"
if [ $# -eq 0 ]; then
  mapfile -t slugs < <("$GOVLAKE_VENVS/project/bin/python" "$here/../superset/bundle.py" slugs "$GOVLAKE_ROOT/dashboards")
  set -- "${slugs[@]}"
fi
node "$work/shot.mjs" "http://127.0.0.1:$GOVLAKE_SUPERSET_PORT" admin "$password" "$out" "$@"

#!/usr/bin/env bash
# Single-node Trino for the embedded default: trino.sh start|stop|status
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
source "$here/versions.sh"
: "${GOVLAKE_TRINO_HOME:?run through govlake config}" "${GOVLAKE_LOGS:?}" "${GOVLAKE_LAKE:?}"
export TRINO_PLUGINS
logf="$GOVLAKE_LOGS/trino.log"
url="http://127.0.0.1:$GOVLAKE_TRINO_PORT"

render() {
  local etc="$GOVLAKE_TRINO_HOME/etc"
  mkdir -p "$etc/catalog" "$GOVLAKE_TRINO_HOME/data" "$GOVLAKE_LAKE/_trino_metastore" "$GOVLAKE_LOGS"
  for f in node.properties jvm.config config.properties log.properties catalog/lake.properties; do
    python3 -c 'import os, sys; sys.stdout.write(os.path.expandvars(sys.stdin.read()))' < "$here/etc/$f" > "$etc/$f"
  done
}

case "${1:-}" in
  start)
    [ -x "$TRINO_DIST/bin/launcher" ] || die "Trino is not installed: run 'make setup'"
    if is_running trino; then log "Trino already running at $url"; exit 0; fi
    ensure_port_free trino "$GOVLAKE_TRINO_PORT"
    render
    JAVA_HOME="$TRINO_JAVA_HOME" PATH="$TRINO_JAVA_HOME/bin:$PATH" \
      start_bg trino "$logf" "$TRINO_DIST/bin/launcher" run --etc-dir "$GOVLAKE_TRINO_HOME/etc" \
      --data-dir "$GOVLAKE_TRINO_HOME/data"
    wait_http trino "$url/v1/info" 180 "$logf" || exit 1
    # /v1/info answers before the server finished starting: wait for "starting":false.
    for _ in $(seq 1 90); do
      curl -s "$url/v1/info" | grep -q '"starting":false' && { log "Trino ready at $url"; exit 0; }
      sleep 2
    done
    die "Trino answered but did not finish starting within 180 s; see $logf" ;;
  stop) stop_service trino ;;
  status)
    if is_running trino; then echo "trino     running  pid $(cat "$(pidfile trino)")  $url  log $logf"
    else echo "trino     stopped  log $logf"; fi ;;
  *) die "usage: trino.sh start|stop|status" ;;
esac

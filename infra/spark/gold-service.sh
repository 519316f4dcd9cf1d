#!/usr/bin/env bash
# The gold build service (govlake/buildservice.py): gold-service.sh start|stop|status
# A long-lived `govlake gold serve` keeping a Spark session warm for the gold DAG's builds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
: "${GOVLAKE_VENVS:?run through govlake config}" "${GOVLAKE_LOGS:?}" "${GOVLAKE_RUN:?}"
CLI="$GOVLAKE_VENVS/project/bin/govlake"
logf="$GOVLAKE_LOGS/gold-service.log"

ping() { "$CLI" gold ping >/dev/null 2>&1; }

case "${1:-}" in
  start)
    rc=0; ping || rc=$?
    if [ "$rc" = 0 ]; then log "gold-service already running (pid $(cat "$(pidfile gold-service)" 2>/dev/null || echo '?'))"; exit 0; fi
    # 5: building now (it answers between builds only); never stop it mid-build
    if [ "$rc" = 5 ]; then log "gold-service is running a build (pid $(cat "$(pidfile gold-service)" 2>/dev/null || echo '?'))"; exit 0; fi
    # 4: started before the code or the settings changed; 3 with a live pid: hung or half-started
    [ "$rc" = 4 ] && log "gold-service predates the current code or settings: restarting it"
    stop_service gold-service
    start_bg gold-service "$logf" "$CLI" gold serve
    for waited in $(seq 0 2 240); do
      if ping; then log "gold-service is up (${waited}s, Spark driver $GOVLAKE_SPARK_DRIVER_MEMORY)"; exit 0; fi
      if ! is_running gold-service; then
        log "gold-service exited during start-up. Last lines of its log $logf:"
        tail -n 25 "$logf" >&2 2>/dev/null || true
        exit 1
      fi
      sleep 2
    done
    die "gold-service did not answer within 240 s; see $logf" ;;
  stop) stop_service gold-service ;;
  status)
    if is_running gold-service; then echo "gold-service running  pid $(cat "$(pidfile gold-service)")  log $logf"
    else echo "gold-service stopped  log $logf"; fi ;;
  *) die "usage: gold-service.sh start|stop|status" ;;
esac

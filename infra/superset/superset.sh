#!/usr/bin/env bash
# Superset for GovLake: superset.sh install|init|start|stop|status|import
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
: "${GOVLAKE_VENVS:?run through govlake config}"
venv="$GOVLAKE_VENVS/superset"
export SUPERSET_CONFIG_PATH="$here/superset_config.py" FLASK_APP=superset
SS="$venv/bin/superset"
logf="$GOVLAKE_LOGS/superset.log"
secret() { grep -E "^$1=" "$GOVLAKE_SECRETS_FILE" 2>/dev/null | head -1 | cut -d= -f2-; }

case "${1:-}" in
  install) install_locked_venv "$venv" "$here/requirements.lock" Superset ;;
  init)
    mkdir -p "$GOVLAKE_SUPERSET_HOME" "$GOVLAKE_LOGS" "$(dirname "$GOVLAKE_SECRETS_FILE")"
    touch "$GOVLAKE_SECRETS_FILE"; chmod 600 "$GOVLAKE_SECRETS_FILE"
    grep -q '^SUPERSET_SECRET_KEY=' "$GOVLAKE_SECRETS_FILE" || echo "SUPERSET_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(42))')" >> "$GOVLAKE_SECRETS_FILE"
    grep -q '^SUPERSET_ADMIN_PASSWORD=' "$GOVLAKE_SECRETS_FILE" || echo "SUPERSET_ADMIN_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')" >> "$GOVLAKE_SECRETS_FILE"
    marker="$GOVLAKE_SUPERSET_HOME/.initialised-$(sha256sum "$here/requirements.lock" | cut -c1-16)"
    [ -f "$marker" ] && exit 0
    ilog="$GOVLAKE_LOGS/superset-init.log"
    log "initialising Superset's metadata database (log: $ilog)"
    "$SS" db upgrade >> "$ilog" 2>&1 || die "superset db upgrade failed; see $ilog"
    "$SS" fab create-admin --username admin --firstname 管理员 --lastname GovLake \
      --email admin@govlake.invalid --password "$(secret SUPERSET_ADMIN_PASSWORD)" >> "$ilog" 2>&1 \
      || die "creating the Superset admin failed; see $ilog"
    "$SS" init >> "$ilog" 2>&1 || die "superset init failed; see $ilog"
    touch "$marker" ;;
  start)
    if is_running superset; then log "Superset already running"; exit 0; fi
    ensure_port_free superset "$GOVLAKE_SUPERSET_PORT"
    start_bg superset "$logf" "$venv/bin/gunicorn" --bind "127.0.0.1:$GOVLAKE_SUPERSET_PORT" \
      --workers 2 --worker-class gthread --threads 4 --timeout 120 --limit-request-line 0 \
      --limit-request-field_size 0 "superset.app:create_app()"
    wait_http superset "http://127.0.0.1:$GOVLAKE_SUPERSET_PORT/health" 180 "$logf" ;;
  stop) stop_service superset ;;
  status)
    if is_running superset; then echo "superset  running  pid $(cat "$(pidfile superset)")  http://127.0.0.1:$GOVLAKE_SUPERSET_PORT/  log $logf"
    else echo "superset  stopped  log $logf"; fi ;;
  import)
    # Dashboards as code: render dashboards/ with this installation's Trino URI, import, then
    # check through the API that every dashboard and chart arrived (a failed import is an error).
    work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
    bundle="$work/govlake_dashboards"
    "$GOVLAKE_VENVS/project/bin/python" "$here/bundle.py" "$GOVLAKE_ROOT/dashboards" "$bundle" \
      "trino://${GOVLAKE_TRINO_USER}@${GOVLAKE_TRINO_HOST}:${GOVLAKE_TRINO_PORT}/lake" "${GOVLAKE_LAKE:-}" \
      || die "rendering dashboards/ failed (see the message above)"
    # Importing a dashboard leaves existing datasets and charts as they were, so the datasets are
    # imported first on their own (overwriting), and api_check brings existing charts up to date.
    dsb="$work/govlake_datasets"
    mkdir -p "$dsb"
    cp -r "$bundle/databases" "$bundle/datasets" "$dsb/"
    printf 'version: 1.0.0\ntype: SqlaTable\ntimestamp: "%s"\n' "$(date -u +%FT%T+00:00)" > "$dsb/metadata.yaml"
    (cd "$work" && python3 -m zipfile -c bundle.zip govlake_dashboards/ && python3 -m zipfile -c datasets.zip govlake_datasets/)
    ilog="$GOVLAKE_LOGS/superset-import.log"
    "$SS" import-datasources -p "$work/datasets.zip" -u admin >> "$ilog" 2>&1 \
      || { tail -n 20 "$ilog" >&2; die "importing datasets failed; see $ilog"; }
    "$SS" import-dashboards -p "$work/bundle.zip" -u admin >> "$ilog" 2>&1 \
      || { tail -n 20 "$ilog" >&2; die "importing dashboards failed; see $ilog"; }
    "$GOVLAKE_VENVS/project/bin/python" "$here/api_check.py" imported "$GOVLAKE_ROOT/dashboards" \
      || die "the dashboards are not all in Superset after the import; see $ilog"
    log "dashboards imported from dashboards/" ;;
  *) die "usage: superset.sh install|init|start|stop|status|import" ;;
esac

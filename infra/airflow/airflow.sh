#!/usr/bin/env bash
# Airflow for GovLake: airflow.sh install|init|start|stop|status|run-dag DAG_ID
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
: "${GOVLAKE_VENVS:?run through govlake config}"
venv="$GOVLAKE_VENVS/airflow"
AF="$venv/bin/airflow"
SERVICES="airflow-api airflow-scheduler airflow-dag-processor"

gen_secret() {  # KEY -> append a generated value to the secrets file once
  mkdir -p "$(dirname "$GOVLAKE_SECRETS_FILE")"; touch "$GOVLAKE_SECRETS_FILE"; chmod 600 "$GOVLAKE_SECRETS_FILE"
  grep -qE "^$1=" "$GOVLAKE_SECRETS_FILE" || echo "$1=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')" >> "$GOVLAKE_SECRETS_FILE"
}

case "${1:-}" in
  install) install_locked_venv "$venv" "$here/requirements.lock" Airflow ;;
  init)
    for k in AIRFLOW_ADMIN_PASSWORD AIRFLOW_JWT_SECRET AIRFLOW_SECRET_KEY; do gen_secret "$k"; done
    grep -qE "^AIRFLOW_FERNET_KEY=" "$GOVLAKE_SECRETS_FILE" || echo "AIRFLOW_FERNET_KEY=$("$venv/bin/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" >> "$GOVLAKE_SECRETS_FILE"
    source "$here/env.sh"
    mkdir -p "$AIRFLOW_HOME" "$GOVLAKE_LOGS"
    printf '{"admin": "%s"}\n' "$(secret AIRFLOW_ADMIN_PASSWORD)" > "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
    chmod 600 "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
    marker="$AIRFLOW_HOME/.db-migrated-$(sha256sum "$here/requirements.lock" | cut -c1-16)"
    if [ ! -f "$marker" ]; then
      log "initialising Airflow's metadata database ($GOVLAKE_AIRFLOW_DB_URI)"
      "$AF" db migrate >> "$GOVLAKE_LOGS/airflow-init.log" 2>&1 || die "airflow db migrate failed; see $GOVLAKE_LOGS/airflow-init.log"
      touch "$marker"
    fi ;;
  start)
    source "$here/env.sh"
    is_running airflow-api || ensure_port_free airflow-api "$GOVLAKE_AIRFLOW_PORT"
    start_bg airflow-api "$GOVLAKE_LOGS/airflow.log" "$AF" api-server
    start_bg airflow-scheduler "$GOVLAKE_LOGS/airflow-scheduler.log" "$AF" scheduler
    start_bg airflow-dag-processor "$GOVLAKE_LOGS/airflow-dag-processor.log" "$AF" dag-processor
    wait_http airflow-api "http://127.0.0.1:$GOVLAKE_AIRFLOW_PORT/api/v2/monitor/health" 180 "$GOVLAKE_LOGS/airflow.log" ;;
  stop) for s in $SERVICES; do stop_service "$s"; done ;;
  status)
    for s in $SERVICES; do
      if is_running "$s"; then echo "$(printf '%-22s' "$s")running  pid $(cat "$(pidfile "$s")")"
      else echo "$(printf '%-22s' "$s")stopped"; fi
    done
    echo "airflow UI http://127.0.0.1:$GOVLAKE_AIRFLOW_PORT/  logs $GOVLAKE_LOGS/airflow*.log" ;;
  run-dag)
    # One real DAG run in this process (`airflow dags test`): recorded in the metadata database,
    # visible in the UI; exits non-zero when a task fails.
    dag=${2:?usage: airflow.sh run-dag DAG_ID}
    source "$here/env.sh"
    logf="$GOVLAKE_LOGS/dag-$dag.log"
    log "running DAG $dag (log: $logf)"
    if ! timeout 1800 "$AF" dags test "$dag" > "$logf" 2>&1; then
      grep -E "\[govlake\]|ERROR|Error" "$logf" | tail -n 30 >&2 || true
      die "DAG $dag failed; full log: $logf"
    fi
    grep -E "\[govlake\]" "$logf" | sed -e 's/^.*\[govlake\]/[govlake]/' -e 's/ \[airflow\.[^]]*\] loc=.*$//' >&2 || true
    grep -qE "Marking run <DagRun $dag .*> successful" "$logf" || die "DAG $dag did not finish successfully; full log: $logf"
    log "DAG $dag succeeded" ;;
  *) die "usage: airflow.sh install|init|start|stop|status|run-dag DAG_ID" ;;
esac

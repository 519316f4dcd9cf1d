#!/usr/bin/env bash
# The platform's driver behind the Makefile: set-up, up/down/status for an instance, and the test run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source infra/lib.sh
# uv trusts the platform certificate store (a proxy CA may be installed there).
export UV_SYSTEM_CERTS=1
export UV_PROJECT_ENVIRONMENT="$ROOT/.govlake/venv/project"
PROJECT_BIN="$UV_PROJECT_ENVIRONMENT/bin"

ensure_uv() {
  # a user install from an earlier run lands in ~/.local/bin, which need not be on PATH
  command -v uv >/dev/null 2>&1 || [ ! -x "$HOME/.local/bin/uv" ] || export PATH="$HOME/.local/bin:$PATH"
  if ! command -v uv >/dev/null 2>&1; then
    log "installing uv from PyPI"
    python3 -m pip install --quiet --user "uv==0.13.8" || python3 -m pip install --quiet "uv==0.13.8"
    hash -r
    command -v uv >/dev/null 2>&1 || export PATH="$HOME/.local/bin:$(python3 -c 'import sysconfig;print(sysconfig.get_path("scripts"))'):$PATH"
  fi
  command -v uv >/dev/null 2>&1 || die "uv is not on PATH after installing it"
}

ensure_java17() {
  [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ] && return 0
  log "installing OpenJDK 17 (Spark's Java) from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
}

load_config() {
  eval "$("$PROJECT_BIN/govlake" config --shell)"
}

setup() {
  ensure_uv
  ensure_java17
  mkdir -p .govlake/venv
  local lock_hash; lock_hash=$(cat uv.lock pyproject.toml | sha256sum | cut -c1-16)
  if [ "$(cat "$UV_PROJECT_ENVIRONMENT/.govlake-lock" 2>/dev/null)" != "$lock_hash" ]; then
    log "creating the project environment (Spark, Delta, Great Expectations) from uv.lock"
    uv sync --frozen --python python3 --quiet
    echo "$lock_hash" > "$UV_PROJECT_ENVIRONMENT/.govlake-lock"
  fi
  load_config
  infra/spark/install.sh
  infra/divisions/install.sh
  infra/trino/install.sh
  infra/airflow/airflow.sh install
  infra/superset/superset.sh install
}

sample() {
  if [ -z "$(ls -A "$GOVLAKE_LANDING" 2>/dev/null)" ]; then
    log "writing the sample province's department deliveries (12 departments, 27 resources)"
    "$PROJECT_BIN/govlake" generate --out "$GOVLAKE_LANDING" --truth "$GOVLAKE_INSTANCE/truth"
  fi
}

start_all() {
  # Trino first: the ingestion DAG ends by registering the tables in it.
  [ "$GOVLAKE_TRINO_MANAGED" = "True" ] && infra/trino/trino.sh start
  infra/airflow/airflow.sh init
  # The first `make up` ingests the whole sample province in one Spark session (the same steps the
  # department DAGs run, a few minutes instead of 12 DAGs x 4 Spark start-ups); later the scheduler
  # runs the DAGs, which find nothing new until a department delivers again.
  if [ ! -f "$GOVLAKE_INSTANCE/.sample-ingested" ]; then
    log "ingesting the sample province: every department, land -> bronze -> validate -> silver"
    "$PROJECT_BIN/govlake" ingest run all
    touch "$GOVLAKE_INSTANCE/.sample-ingested"
  fi
  # The gold build service keeps a Spark session warm for the govlake_gold DAG's builds
  # (govlake/buildservice.py); started before the first build so that this build warms it.
  infra/spark/gold-service.sh start
  # Base databases and portraits: builds whatever was published since the last build (nothing new:
  # a few seconds); afterwards the govlake_gold DAG does this whenever ingestion publishes.
  log "building the base databases and portraits (OneID, 一数一源, tags)"
  "$PROJECT_BIN/govlake" gold build
  "$PROJECT_BIN/govlake" lake register
  infra/superset/superset.sh init
  infra/superset/superset.sh start
  infra/superset/superset.sh import
  infra/airflow/airflow.sh start
}

stop_all() {
  infra/airflow/airflow.sh stop || true
  infra/superset/superset.sh stop || true
  infra/spark/gold-service.sh stop || true
  [ "$GOVLAKE_TRINO_MANAGED" = "True" ] && { infra/trino/trino.sh stop || true; }
}

secret() { grep -E "^$1=" "$GOVLAKE_SECRETS_FILE" 2>/dev/null | head -1 | cut -d= -f2-; }

banner() {
  cat <<TXT

GovLake 省级政务大数据平台 is up (profile $GOVLAKE_PROFILE, state in $GOVLAKE_INSTANCE)
  Superset 驾驶舱   http://127.0.0.1:$GOVLAKE_SUPERSET_PORT/superset/dashboard/govlake-cockpit/   login admin / $(secret SUPERSET_ADMIN_PASSWORD)
                    (also govlake-service 政务服务效能, govlake-data-quality 数据共享与质量, govlake-credit 信用监管,
                     govlake-portrait 画像查询, govlake-population 户籍人口概览; SQL Lab has saved example queries)
  Airflow           http://127.0.0.1:$GOVLAKE_AIRFLOW_PORT/   login admin / $(secret AIRFLOW_ADMIN_PASSWORD)
  Trino (SQL)       http://$GOVLAKE_TRINO_HOST:$GOVLAKE_TRINO_PORT/ui/   user govlake, catalog lake, schemas bronze silver gold portrait ops mart
  常驻构建服务      warm Spark session for the govlake_gold DAG's builds ('govlake gold ping'; log gold-service.log)
  Logs              $GOVLAKE_LOGS
  Stop with 'make down'; 'make status' shows what runs.
TXT
}

use_test_instance() {
  export GOVLAKE_INSTANCE="$ROOT/.govlake/test" GOVLAKE_PORT_OFFSET=10000 GOVLAKE_SPARK_DRIVER_MEMORY=2g
}

cmd=${1:-help}
case "$cmd" in
  setup) setup ;;
  up)
    setup
    mkdir -p "$GOVLAKE_INSTANCE"
    sample
    start_all
    banner ;;
  down) load_config; stop_all ;;
  down-test) use_test_instance; load_config; stop_all ;;
  status)
    load_config
    infra/trino/trino.sh status || true
    infra/spark/gold-service.sh status || true
    infra/airflow/airflow.sh status || true
    infra/superset/superset.sh status || true ;;
  unit)
    setup >/dev/null
    "$PROJECT_BIN/python" -m pytest -m "not integration" -q ;;
  test)
    use_test_instance
    setup
    trap 'stop_all' EXIT
    "$PROJECT_BIN/python" -m pytest -q ;;
  *) die "unknown command '$cmd' (setup, up, down, status, test, unit)" ;;
esac

"""Ingestion DAG for 公安 户籍人口 (gongan.hukou): land -> bronze -> validate -> silver -> register.

Each task runs the project's CLI from the project environment as a subprocess (Airflow's own
environment does not import project code; see docs/decisions.md). Every step is idempotent, so a
re-run or a retry is safe.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Asset

ROOT = Path(os.environ.get("GOVLAKE_ROOT", Path(__file__).resolve().parents[1]))
CLI = os.environ.get("GOVLAKE_CLI", str(ROOT / ".govlake" / "venv" / "project" / "bin" / "govlake"))
RESOURCE = "gongan.hukou"

with DAG(
    dag_id="govlake_ingest_gongan",
    description="公安厅 户籍人口基本信息：落地 → 贴源层 → 质量校验 → 标准层 + 隔离区 → Trino 注册",
    doc_md=__doc__,
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    tags=["govlake", "ingest", "公安"],
    default_args={"retries": 0, "append_env": True, "cwd": str(ROOT)},
) as dag:
    def step(task_id: str, args: str, doc: str, **kw) -> BashOperator:
        return BashOperator(task_id=task_id, bash_command=f"{shlex.quote(CLI)} {args}", doc_md=doc, **kw)

    land = step("land", f"ingest land {RESOURCE}", "新交付校验清单与校验和，复制为不可变的原始批次")
    bronze = step("bronze", f"ingest bronze {RESOURCE}", "原样写入贴源层 Delta 表")
    validate = step("validate", f"ingest validate {RESOURCE}", "标准化并运行 Great Expectations 质量闸门")
    silver = step("silver", f"ingest silver {RESOURCE}", "合并入标准层，写隔离区与批次台账",
                  outlets=[Asset("govlake://silver/person")])
    register = step("register", "lake register", "在 Trino lake 目录注册新表")
    land >> bronze >> validate >> silver >> register

"""Ingestion DAGs generated from the resource catalogue: one DAG per department,
`govlake_ingest_<department>`: land -> bronze -> validate -> silver -> register.

Each task runs the project's CLI for the whole department from the project environment, as a
subprocess (Airflow's own environment does not import project code; see docs/decisions.md), so this
file only reads the catalogue's YAML. Adding a resource, or a department, is a YAML change under
`lakehouse/catalogue/<department>/`; the DAG appears on the next parse. Every step is idempotent,
so a re-run or a retry is safe. The silver task emits one Airflow Asset per silver table
(`govlake://silver/<table>`) for the downstream DAGs.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path

import pendulum
import yaml
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Asset

ROOT = Path(os.environ.get("GOVLAKE_ROOT", Path(__file__).resolve().parents[1]))
CLI = os.environ.get("GOVLAKE_CLI", str(ROOT / ".govlake" / "venv" / "project" / "bin" / "govlake"))
LAKEHOUSE = Path(os.environ.get("GOVLAKE_LAKEHOUSE") or ROOT / "lakehouse")


def departments() -> dict[str, dict]:
    """department -> {name_zh, resources: [(code, name_zh, silver_table)]}, from the catalogue files.
    A file that does not parse is skipped here; `govlake catalogue check` reports it with its line."""
    out: dict[str, dict] = {}
    for f in sorted((LAKEHOUSE / "catalogue").glob("*/*.yaml")):
        try:
            r = (yaml.safe_load(f.read_text(encoding="utf-8")) or {})["resource"]
            dept = out.setdefault(r["department"], {"name_zh": r["department_zh"], "resources": []})
            dept["resources"].append((r["code"], r["name_zh"], r["silver_table"]))
        except (yaml.YAMLError, KeyError, TypeError):
            continue
    return out


def build(department: str, info: dict) -> DAG:
    names = "、".join(name for _, name, _ in info["resources"])
    with DAG(
        dag_id=f"govlake_ingest_{department}",
        description=f"{info['name_zh']}：{names}：落地 → 贴源层 → 质量校验 → 标准层 + 隔离区 → Trino 注册",
        doc_md=__doc__,
        schedule="@hourly",
        start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
        catchup=False,
        max_active_runs=1,
        tags=["govlake", "ingest", info["name_zh"]],
        default_args={"retries": 0, "append_env": True,
                      "cwd": str(ROOT)},
    ) as dag:
        def step(task_id: str, args: str, doc: str, **kw) -> BashOperator:
            return BashOperator(task_id=task_id, bash_command=f"{shlex.quote(CLI)} {args}", doc_md=doc, **kw)

        land = step("land", f"ingest land {department}", "新交付：校验清单、校验和与文件结构，复制为不可变的原始批次")
        bronze = step("bronze", f"ingest bronze {department}", "原样写入贴源层 Delta 表")
        validate = step("validate", f"ingest validate {department}",
                        "标准化，逐行检查，记分卡与 Great Expectations 质量闸门，隔离区与纠错反馈")
        silver = step("silver", f"ingest silver {department}", "合并入标准层（保留历史），写批次台账",
                      outlets=[Asset(f"govlake://silver/{table}") for _, _, table in info["resources"]])
        register = step("register", "lake register", "在 Trino lake 目录注册新表")
        land >> bronze >> validate >> silver >> register
    return dag


for _department, _info in departments().items():
    globals()[f"dag_{_department}"] = build(_department, _info)

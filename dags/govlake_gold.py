"""`govlake_gold`: base databases and portraits, rebuilt after ingestion.

Triggered by any silver Asset the ingestion DAGs emit (`govlake://silver/<table>`): OneID, the
golden dimensions (一数一源, with history and conflicts), the base-database models, the portrait
tags for the subjects the new batches touched (the first run builds everything) and the dashboard
marts (lake.mart, rebuilt whole), then registers new tables in Trino, then rewrites the tables
incremental builds have edited in place often enough (jobs/maintain.py; here, so that it never
runs beside a build: the DAG allows one run at a time). Emits `govlake://gold/<table>`,
`govlake://portrait/<table>` and `govlake://mart/<table>`.
Like the ingestion DAGs, the task runs the project's CLI as a subprocess and this file reads YAML only.
`govlake gold build` hands the build to the gold build service when it runs (govlake/buildservice.py,
started by `make up`): a warm Spark session instead of a cold JVM per build; otherwise it builds in
its own process.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path

import pendulum
import yaml
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Asset, AssetAny

ROOT = Path(os.environ.get("GOVLAKE_ROOT", Path(__file__).resolve().parents[1]))
CLI = os.environ.get("GOVLAKE_CLI", str(ROOT / ".govlake" / "venv" / "project" / "bin" / "govlake"))
LAKEHOUSE = Path(os.environ.get("GOVLAKE_LAKEHOUSE") or ROOT / "lakehouse")


def _yaml(path: Path) -> dict:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}


def silver_tables() -> list[str]:
    out = []
    for f in sorted((LAKEHOUSE / "catalogue").glob("*/*.yaml")):
        table = (_yaml(f).get("resource") or {}).get("silver_table")
        if table:
            out.append(table)
    return out


def produced() -> list[str]:
    """gold.* and portrait.* tables the build writes."""
    out = []
    dims = _yaml(LAKEHOUSE / "gold" / "dimensions.yaml")
    for d in dims.values():
        if isinstance(d, dict) and d.get("table"):
            out += [f"gold/{d['table']}", f"gold/{d['table']}_history", f"gold/{d['table']}_conflict"]
    out += [f"gold/{m['table']}" for m in _yaml(LAKEHOUSE / "gold" / "models.yaml").get("models") or []]
    out += [f"portrait/{_yaml(f).get('table')}" for f in sorted((LAKEHOUSE / "portrait").glob("*.yaml"))]
    out += [f"mart/{m['table']}" for m in _yaml(LAKEHOUSE / "mart" / "marts.yaml").get("marts") or []]
    return out + ["gold/person_link", "gold/entity_link", "gold/person_registry", "gold/entity_registry",
                  "portrait/tag_dictionary", "mart/kpi_target", "mart/region_shape"]


with DAG(
    dag_id="govlake_gold",
    description="基础库与画像：OneID → 人口库/法人库（一数一源）→ 电子证照、信用、事项办件库 → 自然人与法人画像标签",
    doc_md=__doc__,
    schedule=AssetAny(*[Asset(f"govlake://silver/{t}") for t in silver_tables()]),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    tags=["govlake", "gold", "portrait"],
    default_args={"retries": 0, "append_env": True, "cwd": str(ROOT)},
) as dag:
    build = BashOperator(task_id="build", bash_command=f"{shlex.quote(CLI)} gold build",
                         doc_md="新批次涉及的对象：OneID 关联、黄金记录、基础库、画像标签（首次全量），再重建看板专题库 mart",
                         outlets=[Asset(f"govlake://{t}") for t in produced()])
    register = BashOperator(task_id="register", bash_command=f"{shlex.quote(CLI)} lake register",
                            doc_md="在 Trino lake 目录注册新表")
    maintain = BashOperator(task_id="maintain", bash_command=f"{shlex.quote(CLI)} lake maintain",
                            doc_md="整理：被增量构建就地修改满规定次数（govlake/goldspec.py 的 REWRITE_EVERY）的黄金记录与画像表，"
                                   "按主键重写（清除删除向量与小文件）")
    build >> register >> maintain

"""Airflow: every DAG file imports cleanly in Airflow's own environment, the catalogue generates one
ingestion DAG per department, and a resource added by YAML alone gets a DAG that really ingests it.
(The real 公安 DAG run is the `ingested` fixture, used by test_pipeline.py.)"""
import json
import os
import subprocess
from pathlib import Path

import pytest

from govlake.config import resolve

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "tasks": [t.task_id for t in dag.topological_sort()] if hasattr(dag, "topological_sort")
                 else sorted(dag.task_ids),
        "edges": sorted([t.task_id, d] for t in dag.tasks for d in sorted(t.downstream_task_ids)),
        "tags": sorted(dag.tags), "catchup": dag.catchup,
        "outlets": {t.task_id: [getattr(o, "uri", str(o)) for o in t.outlets] for t in dag.tasks},
        "assets": [getattr(o, "uri", str(o)) for o in
                   getattr(getattr(dag.timetable, "asset_condition", None), "objects", None) or []],
    }
print("JSON:" + json.dumps(out, ensure_ascii=False))
"""


def _dagbag(dag_folder: Path, lakehouse: Path | None = None) -> dict:
    env = {**os.environ, **resolve().env(), **({"GOVLAKE_LAKEHOUSE": str(lakehouse)} if lakehouse else {})}
    py = ROOT / ".govlake" / "venv" / "airflow" / "bin" / "python"
    proc = subprocess.run([str(py), "-c", PROBE, str(dag_folder)], env=env, text=True,
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("JSON:"))
    return json.loads(line[5:])


@pytest.fixture(scope="module")
def dagbag():
    return _dagbag(ROOT / "dags")


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag["errors"] == {}
    from govlake import catalogue
    assert {f"govlake_ingest_{d}" for d in catalogue.load().departments()} <= set(dagbag["dags"])


def test_ingestion_dag_structure(dagbag):
    dag = dagbag["dags"]["govlake_ingest_gongan"]
    assert dag["edges"] == [["bronze", "validate"], ["land", "bronze"], ["silver", "register"],
                            ["validate", "silver"]]
    assert dag["catchup"] is False and "省公安厅" in dag["tags"]
    assert dag["outlets"]["silver"] == ["govlake://silver/household", "govlake://silver/person"]


def test_gold_dag_is_triggered_by_every_silver_asset(dagbag):
    from govlake import catalogue
    dag = dagbag["dags"]["govlake_gold"]
    assert dag["edges"] == [["build", "register"], ["register", "maintain"]]
    assert sorted(dag["assets"]) == sorted(f"govlake://silver/{r.silver_table}"
                                           for r in catalogue.load().resources.values())
    assert {"govlake://gold/dim_person", "govlake://gold/dim_legal_entity", "govlake://portrait/person_tags",
            "govlake://portrait/entity_tags"} <= set(dag["outlets"]["build"])


def test_a_broken_dag_file_is_reported(tmp_path):
    (tmp_path / "broken.py").write_text("from airflow.sdk import DAG\nraise RuntimeError('boom')\n")
    bag = _dagbag(tmp_path)
    assert any("boom" in e for e in bag["errors"].values())


SCENIC = """resource:
  code: wenlv.scenic_spot
  name_zh: A级旅游景区名录
  department: wenlv
  department_zh: 省文化和旅游厅
  classification: 主题信息资源/文化旅游
  sharing_type: 无条件共享
  open_type: 无条件开放
  update_cycle: 每月
  mode: full
  source: {format: csv, encoding: utf-8}
  silver_table: scenic_spot
  silver_comment: A级旅游景区（一景区一行）
  key: [spot_code]
  items:
    - {column: 景区编码, alias: jqbm, name: spot_code, element: certificate_no, required: true}
    - {column: 景区名称, alias: jqmc, name: spot_name, element: entity_name}
    - {column: 运营单位统一社会信用代码, alias: yydwdm, name: operator_uscc, element: uscc, required: true}
    - {column: 所在行政区划, alias: szxzqh, name: region_code, element: region_code}
    - {column: 评定日期, alias: pdrq, name: rated_on, element: decision_date}
"""


def test_a_resource_added_by_yaml_alone_is_ingested_by_its_generated_dag(tmp_path, ingested, spark, settings):
    """A new department and resource: one YAML file, no code. Its DAG appears, and a real Airflow run
    of it lands, validates and publishes the delivery."""
    import hashlib
    import shutil

    from govlake import uscc
    from tests.integration.conftest import sh
    lakehouse = tmp_path / "lakehouse"
    shutil.copytree(ROOT / "lakehouse", lakehouse)
    (lakehouse / "catalogue" / "wenlv").mkdir()
    (lakehouse / "catalogue" / "wenlv" / "scenic_spot.yaml").write_text(SCENIC, encoding="utf-8")
    bag = _dagbag(ROOT / "dags", lakehouse)
    assert bag["errors"] == {} and bag["dags"]["govlake_ingest_wenlv"]["outlets"]["silver"] == \
        ["govlake://silver/scenic_spot"]
    good = uscc.make_uscc("9", "1", "330102", "12345678")
    delivery = Path(settings.landing) / "wenlv" / "scenic_spot" / "20261121-001"
    delivery.mkdir(parents=True)
    body = ("景区编码,景区名称,运营单位统一社会信用代码,所在行政区划,评定日期\n"
            f"JQ001,西湖风景名胜区,{good},330102,2007-05-08\n"
            f"JQ002,千岛湖风景区,{good[:17]}{'1' if good[17] != '1' else '2'},330127,2010-01-15\n"
            f"JQ003,灵隐飞来峰,{good},330106,2001/1/1\n")
    (delivery / "scenic_spot.csv").write_text(body, encoding="utf-8")
    manifest = {"delivered_at": "2026-11-22T08:00:00+08:00", "data_date": "2026-11-21",
                "files": [{"name": "scenic_spot.csv", "sha256": hashlib.sha256(body.encode()).hexdigest(), "rows": 3}]}
    (delivery / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    sh("infra/airflow/airflow.sh", "run-dag", "govlake_ingest_wenlv", timeout=1200,
       env={"GOVLAKE_LAKEHOUSE": str(lakehouse)})
    spots = spark.read.format("delta").load(settings.table_path("silver", "scenic_spot"))
    assert sorted(r.spot_code for r in spots.collect()) == ["JQ001", "JQ003"]
    q = spark.read.format("delta").load(settings.table_path("ops", "quarantine")).where("resource = 'wenlv.scenic_spot'")
    assert [r.reasons for r in q.collect()] == [["运营单位统一社会信用代码格式或校验位错误"]]

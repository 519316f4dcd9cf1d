"""Airflow: every DAG file imports cleanly in Airflow's own environment, and the ingestion DAG has
the expected shape. (The real DAG run is the `ingested` fixture, used by test_pipeline.py.)"""
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
    }
print("JSON:" + json.dumps(out, ensure_ascii=False))
"""


def _dagbag(dag_folder: Path) -> dict:
    env = {**os.environ, **resolve().env()}
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
    assert "govlake_ingest_gongan" in dagbag["dags"]


def test_ingestion_dag_structure(dagbag):
    dag = dagbag["dags"]["govlake_ingest_gongan"]
    assert dag["edges"] == [["bronze", "validate"], ["land", "bronze"], ["silver", "register"],
                            ["validate", "silver"]]
    assert dag["catchup"] is False and "公安" in dag["tags"]
    assert dag["outlets"]["silver"] == ["govlake://silver/person"]


def test_a_broken_dag_file_is_reported(tmp_path):
    (tmp_path / "broken.py").write_text("from airflow.sdk import DAG\nraise RuntimeError('boom')\n")
    bag = _dagbag(tmp_path)
    assert any("boom" in e for e in bag["errors"].values())

"""Integration fixtures: one Spark session for the whole run, and the platform (Trino + one real
Airflow DAG run of the sample delivery) started once and stopped at the end."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from govlake.config import resolve

ROOT = Path(__file__).resolve().parents[2]


def sh(*args: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, **resolve().env()}
    proc = subprocess.run(list(args), cwd=ROOT, env=env, text=True, capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
                             f"\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


@pytest.fixture(scope="session")
def settings():
    return resolve()


@pytest.fixture(scope="session")
def spark(settings):
    from govlake.spark import get_spark
    session = get_spark(settings, app="govlake-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def trino_up(settings):
    sh("infra/trino/trino.sh", "start", timeout=300)
    yield settings
    sh("infra/trino/trino.sh", "stop", check=False)


@pytest.fixture(scope="session")
def ingested(settings, trino_up):
    """A fresh sample delivery run through the real Airflow DAG; returns the generator's truth."""
    inst = Path(settings.instance)
    for d in ("lake", "landing", "truth", "gx"):
        shutil.rmtree(inst / d, ignore_errors=True)
    sh(str(ROOT / ".govlake/venv/project/bin/govlake"), "generate", "--out", settings.landing,
       "--truth", str(inst / "truth"), "--persons", "2000", "--days", "2")
    sh("infra/airflow/airflow.sh", "init", timeout=600)
    run = sh("infra/airflow/airflow.sh", "run-dag", "govlake_ingest_gongan", timeout=1200)
    summary = json.loads((inst / "truth" / "summary.json").read_text(encoding="utf-8"))
    [delivery] = summary["resources"]["gongan.hukou"]["deliveries"]
    truth = {"raw_rows": delivery["rows"], "expected_silver_rows": delivery["clean_rows"],
             "expected_quarantined_rows": delivery["expected_quarantined_rows"],
             "expected_duplicate_rows": delivery["duplicate_rows"],
             "defects": summary["resources"]["gongan.hukou"]["defects"]}
    return {"truth": truth, "dag_output": run.stdout + run.stderr}


@pytest.fixture(scope="session")
def trino_query(trino_up):
    import trino

    def query(sql: str):
        conn = trino.dbapi.connect(host=trino_up.trino_host, port=trino_up.trino_port,
                                   user=trino_up.trino_user, catalog="lake")
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall()
    return query

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


def sh(*args: str, check: bool = True, timeout: int = 900, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **resolve().env(), **(env or {})}
    proc = subprocess.run(list(args), cwd=ROOT, env=env, text=True, capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
                             f"\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


def employment_delivery(settings, day, suffix: str, person_id: str, name: str, employer: str) -> None:
    """A renshe.employment delivery of one registration (就业登记), dated `day`, waiting in landing."""
    import datetime as dt
    from govlake.province.writer import DeliveryWriter
    folder = Path(settings.landing) / "renshe" / "employment" / f"{day:%Y%m%d}-{suffix}"
    w = DeliveryWriter(folder, "employment", "jsonl", "utf-8", ["sfzh", "xm", "ygdwdm", "djlx", "djrq"])
    w.write([person_id, name, employer, "就业登记", day.isoformat()])
    w.close({"department": "renshe", "department_zh": "省人力资源和社会保障厅", "resource": "renshe.employment",
             "resource_zh": "就业登记信息", "delivery_id": folder.name, "mode": "incremental",
             "data_date": day.isoformat(), "delivered_at": f"{day + dt.timedelta(days=1)}T08:00:00+08:00",
             "header_style": "pinyin"})


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


PERSONS, DAYS = 800, 2


def _malformed_delivery(landing: Path) -> str:
    """A 户 delivery cut off mid-row (its manifest checksums match what arrived): must be refused
    while every other delivery keeps flowing."""
    src = landing / "gongan" / "household" / "20261121-001"
    bad = src.with_name("20261124-001")
    shutil.copytree(src, bad)
    manifest = json.loads((bad / "manifest.json").read_text(encoding="utf-8"))
    f = bad / manifest["files"][0]["name"]
    data = f.read_bytes()
    f.write_bytes(data[: len(data) * 2 // 3])
    import hashlib
    manifest["files"][0]["sha256"] = hashlib.sha256(f.read_bytes()).hexdigest()
    manifest["files"][0]["rows"] = None
    manifest["data_date"] = "2026-11-24"
    (bad / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return "gongan.household.20261124-001"


@pytest.fixture(scope="session")
def ingested(settings, trino_up, spark):
    """A fresh sample province: 公安 through its real Airflow DAG, every other department through
    the same steps in this process's Spark session; returns the ground truth."""
    from govlake import catalogue
    from jobs import ingest
    inst = Path(settings.instance)
    for d in ("lake", "landing", "truth", "gx", "feedback"):
        shutil.rmtree(inst / d, ignore_errors=True)
    sh(str(ROOT / ".govlake/venv/project/bin/govlake"), "generate", "--out", settings.landing,
       "--truth", str(inst / "truth"), "--persons", str(PERSONS), "--days", str(DAYS))
    malformed = _malformed_delivery(Path(settings.landing))
    sh("infra/airflow/airflow.sh", "init", timeout=600)
    run = sh("infra/airflow/airflow.sh", "run-dag", "govlake_ingest_gongan", timeout=1200)
    cat = catalogue.load()
    ingest.run_in(spark, settings, cat, [r for r in cat.resources.values() if r.department != "gongan"])
    sh(str(ROOT / ".govlake/venv/project/bin/govlake"), "lake", "register", timeout=600)
    summary = json.loads((inst / "truth" / "summary.json").read_text(encoding="utf-8"))
    [delivery] = summary["resources"]["gongan.hukou"]["deliveries"]
    truth = {"raw_rows": delivery["rows"], "expected_silver_rows": delivery["clean_rows"],
             "expected_quarantined_rows": delivery["expected_quarantined_rows"],
             "expected_duplicate_rows": delivery["duplicate_rows"],
             "defects": summary["resources"]["gongan.hukou"]["defects"]}
    return {"truth": truth, "summary": summary, "dag_output": run.stdout + run.stderr, "malformed": malformed,
            "truth_dir": inst / "truth"}


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


@pytest.fixture(scope="session")
def built(ingested, settings):
    """Gold and portraits over the ingested province, through the real `govlake_gold` DAG (the one
    the ingestion Assets trigger), then registered in Trino."""
    run = sh("infra/airflow/airflow.sh", "run-dag", "govlake_gold", timeout=1800)
    return {**ingested, "dag_output": run.stdout + run.stderr}

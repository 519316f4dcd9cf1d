"""The sample delivery through the real Airflow DAG, read back through Delta and through Trino."""
import json
import shutil
from pathlib import Path

import pytest

from tests.integration.conftest import sh

pytestmark = pytest.mark.integration


def _ledger(spark, settings):
    return spark.read.format("delta").load(settings.table_path("ops", "batch_ledger")).collect()


def test_ledger_reconciles_with_the_ground_truth(ingested, spark, settings):
    truth = ingested["truth"]
    [row] = _ledger(spark, settings)
    assert row.status == "published", row.message
    assert row.raw_rows == truth["raw_rows"] == row.silver_rows + row.quarantined_rows + row.duplicate_rows
    assert (row.silver_rows, row.quarantined_rows, row.duplicate_rows) == (
        truth["expected_silver_rows"], truth["expected_quarantined_rows"], truth["expected_duplicate_rows"])


def test_quarantine_keeps_every_rejected_row_with_a_reason(ingested, spark, settings):
    q = spark.read.format("delta").load(settings.table_path("ops", "quarantine"))
    assert q.count() == ingested["truth"]["expected_quarantined_rows"]
    assert q.where("size(reasons) = 0").count() == 0
    assert q.where("array_contains(reasons, '公民身份号码格式或校验位错误')").count() == \
        ingested["truth"]["defects"]["bad_check_char"]


def test_quality_results_recorded(ingested, spark, settings):
    qr = spark.read.format("delta").load(settings.table_path("ops", "quality_results"))
    assert qr.count() > 5 and qr.where("NOT success").count() == 0


def test_trino_serves_silver_with_the_expected_rows(ingested, trino_query, settings):
    truth = ingested["truth"]
    assert trino_query("SELECT count(*) FROM lake.silver.person")[0][0] == truth["expected_silver_rows"]
    # 15-digit legacy numbers arrive upgraded to 18 digits.
    defects = [json.loads(line) for line in
               (Path(settings.instance) / "truth" / "defects.jsonl").read_text(encoding="utf-8").splitlines()]
    legacy = [d["clean"] for d in defects if d["resource"] == "gongan.hukou" and d["kind"] == "legacy_15"]
    assert legacy
    in_list = ", ".join(f"'{i}'" for i in legacy)
    assert trino_query(f"SELECT count(*) FROM lake.silver.person WHERE id_number IN ({in_list})")[0][0] == len(legacy)
    assert trino_query("SELECT count(*) FROM lake.silver.person WHERE length(id_number) <> 18")[0][0] == 0


def test_trino_shows_catalogue_comments(ingested, trino_query):
    [(comment,)] = trino_query("SELECT comment FROM system.metadata.table_comments WHERE catalog_name = 'lake' "
                               "AND schema_name = 'silver' AND table_name = 'person'")
    assert "户籍人口" in comment
    cols = {r[0]: r[3] for r in trino_query("SHOW COLUMNS FROM lake.silver.person")}
    assert cols["id_number"] == "公民身份号码" and cols["_batch_id"] == "批次号"
    schemas = {r[0] for r in trino_query("SHOW SCHEMAS FROM lake")}
    assert {"bronze", "silver", "ops"} <= schemas


def test_rerun_and_repeated_delivery_change_nothing(ingested, spark, settings, trino_query):
    from delta.tables import DeltaTable
    lake = Path(settings.lake)
    tables = [p.parent for p in lake.glob("*/*/_delta_log")]
    versions = {t: DeltaTable.forPath(spark, str(t)).history(1).first().version for t in tables}
    # The same delivery arrives again under another name: landed as a repeat, not a new batch.
    src = next((Path(settings.landing) / "gongan" / "hukou").iterdir())
    shutil.copytree(src, src.with_name(src.name + "-again"))
    sh("infra/airflow/airflow.sh", "run-dag", "govlake_ingest_gongan", timeout=1200)
    assert [p.name for p in (lake / "raw" / "gongan" / "hukou").glob("gongan.hukou.*")] == [f"gongan.hukou.{src.name}"]
    after = {t: DeltaTable.forPath(spark, str(t)).history(1).first().version for t in tables}
    assert after == versions
    assert len(_ledger(spark, settings)) == 1
    assert trino_query("SELECT count(*) FROM lake.silver.person")[0][0] == ingested["truth"]["expected_silver_rows"]

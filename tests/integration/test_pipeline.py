"""The sample province through the real 公安 Airflow DAG and the same steps for every other department,
read back through Delta and Trino, and held against the generator's ground truth."""
import json
import shutil
from pathlib import Path

import pytest

from tests.integration.conftest import sh

pytestmark = pytest.mark.integration


def _ledger(spark, settings, resource="gongan.hukou"):
    return spark.read.format("delta").load(settings.table_path("ops", "batch_ledger")).where(
        f"resource = '{resource}'").collect()


def test_ledger_reconciles_with_the_ground_truth(ingested, spark, settings):
    truth = ingested["truth"]
    [row] = _ledger(spark, settings)
    assert row.status == "published", row.message
    assert row.raw_rows == truth["raw_rows"] == row.silver_rows + row.quarantined_rows + row.duplicate_rows
    assert (row.silver_rows, row.quarantined_rows, row.duplicate_rows) == (
        truth["expected_silver_rows"], truth["expected_quarantined_rows"], truth["expected_duplicate_rows"])


def test_quarantine_keeps_every_rejected_row_with_a_reason(ingested, spark, settings):
    q = spark.read.format("delta").load(settings.table_path("ops", "quarantine")).where("resource = 'gongan.hukou'")
    assert q.count() == ingested["truth"]["expected_quarantined_rows"]
    assert q.where("size(reasons) = 0").count() == 0
    assert q.where("array_contains(reasons, '公民身份号码格式或校验位错误')").count() == \
        ingested["truth"]["defects"]["bad_check_char"]


def test_quality_results_recorded(ingested, spark, settings):
    qr = spark.read.format("delta").load(settings.table_path("ops", "quality_results"))
    published = spark.read.format("delta").load(settings.table_path("ops", "batch_ledger")).where(
        "status = 'published'").select("batch_id").collect()
    assert qr.where("suite LIKE '%.silver'").count() > 27  # a GE suite for every resource
    # Nothing published broke a fail-severity expectation; quarantining checks did find rows.
    ids = [r.batch_id for r in published]
    assert qr.where("severity = 'fail' AND NOT success").where(qr._batch_id.isin(ids)).count() == 0
    assert qr.where("suite LIKE '%.rows' AND NOT success").count() > 0
    assert any((Path(settings.instance) / "gx").rglob("data_docs/**/index.html"))


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
    run = sh("infra/airflow/airflow.sh", "run-dag", "govlake_ingest_gongan", timeout=1200)
    assert "没有待处理的批次" in run.stderr + run.stdout  # nothing new: the Spark steps do not even start
    assert [p.name for p in (lake / "raw" / "gongan" / "hukou").glob("gongan.hukou.*")] == [f"gongan.hukou.{src.name}"]
    after = {t: DeltaTable.forPath(spark, str(t)).history(1).first().version for t in tables}
    assert after == versions
    assert len(_ledger(spark, settings)) == 1
    assert trino_query("SELECT count(*) FROM lake.silver.person")[0][0] == ingested["truth"]["expected_silver_rows"]


def test_defects_caught_repaired_and_ledger_reconciled(ingested, spark, settings):
    """The done-means figures: every injected defect caught, every repairable one repaired (legacy
    organisation codes are recognised; linking them is issue 5), no false alarms, every delivery's
    ledger equal to the truth."""
    from govlake import catalogue
    from quality import report
    rep = report.compute(spark, settings, catalogue.load(), ingested["truth_dir"])
    print(report.render(rep))
    assert rep["injected"] > 500 and len(rep["defects"]) >= 8
    for kind, v in rep["defects"].items():
        assert v["caught"] == v["injected"], kind
        if v["repaired"] is not None and kind != "legacy_org_code":
            assert v["repaired"] == v["injected"], kind
    assert rep["false_alarms"] == 0, rep["false_alarm_sample"]
    assert rep["batches_matching_truth"] == rep["batches"], rep["mismatches"]
    assert rep["published_balanced"] == rep["published_batches"] > 40


def test_malformed_delivery_is_refused_and_the_rest_flow(ingested, spark, settings):
    rows = _ledger(spark, settings, "gongan.household")
    status = {r.batch_id: (r.status, r.message) for r in rows}
    assert status[ingested["malformed"]][0] == "refused" and "截断" in status[ingested["malformed"]][1]
    assert status["gongan.household.20261121-001"][0] == "published"
    feedback = Path(settings.instance) / "feedback" / "gongan" / "纠错反馈清单_省公安厅.csv"
    text = feedback.read_text(encoding="utf-8-sig")
    assert ingested["malformed"] in text and "整批拒收" in text


def test_feedback_file_lists_every_failing_row(ingested, spark, settings):
    import csv
    q = spark.read.format("delta").load(settings.table_path("ops", "quarantine"))
    for dept in ("gongan", "renshe", "minzheng"):
        f = next((Path(settings.instance) / "feedback" / dept).glob("纠错反馈清单_*.csv"))
        rows = list(csv.DictReader(f.open(encoding="utf-8-sig")))
        listed = {(r["批次号"], r["源文件行号"]) for r in rows if r["处理"].startswith("已隔离")}
        expected = {(r._batch_id, str(r._row_number)) for r in q.where(f"department = '{dept}'").collect()}
        assert listed == expected and all(r["原因"] for r in rows), dept


def test_scorecard_per_department_and_batch(ingested, spark, settings):
    sc = spark.read.format("delta").load(settings.table_path("ops", "scorecard"))
    assert sc.select("department").distinct().count() >= 12
    hukou = sc.where("resource = 'gongan.hukou'").first()
    assert 0.9 < hukou.validity < 1 and hukou.uniqueness < 1 and hukou.completeness < 1
    assert sc.where("score < 0 OR score > 1").count() == 0


def test_every_silver_table_has_catalogue_comments_in_trino(ingested, trino_query):
    from govlake import catalogue
    cat = catalogue.load()
    comments = {r[0]: r[1] for r in trino_query("SELECT table_name, comment FROM system.metadata.table_comments "
                                               "WHERE catalog_name = 'lake' AND schema_name = 'silver'")}
    for res in cat.resources.values():
        if res.silver_table in comments:
            assert res.name_zh in comments[res.silver_table], res.code
    assert len(comments) >= 26
    cols = {r[0]: r[3] for r in trino_query("SHOW COLUMNS FROM lake.silver.marriage")}
    assert cols["man_id"] == "男方公民身份号码（公民身份号码）" and cols["woman_id"].startswith("女方公民身份号码")


def test_an_older_snapshot_arriving_late_does_not_overwrite_newer_data(ingested, spark, settings):
    """Out-of-order delivery: a household snapshot dated before the one already published, with a
    changed address, lands late; silver keeps the newer address, history keeps both versions."""
    import hashlib
    import json as _json
    from govlake import catalogue
    from jobs import ingest
    landing = Path(settings.landing) / "gongan" / "hukou"
    src = landing / "20261121-001"
    old = landing / "20261101-001"
    shutil.copytree(src, old)
    m = _json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    f = old / m["files"][0]["name"]
    lines = f.read_text(encoding="utf-8").splitlines()
    published = {r.id_number for r in spark.read.format("delta").load(
        settings.table_path("silver", "person")).select("id_number").collect()}
    n = next(i for i, line in enumerate(lines[1:], 1) if line.split(",")[0] in published)
    target_id = lines[n].split(",")[0]
    lines[n] = ",".join(lines[n].split(",")[:7] + ["旧住址1号"])
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    m["files"][0]["sha256"] = hashlib.sha256(f.read_bytes()).hexdigest()
    m["data_date"], m["delivered_at"] = "2026-11-01", "2026-11-23T09:00:00+08:00"
    (old / "manifest.json").write_text(_json.dumps(m, ensure_ascii=False), encoding="utf-8")
    cat = catalogue.load()
    ingest.run_in(spark, settings, cat, [cat.resource("gongan.hukou")])
    person = spark.read.format("delta").load(settings.table_path("silver", "person"))
    history = spark.read.format("delta").load(settings.table_path("silver", "person_history"))
    assert person.where(f"id_number = '{target_id}'").first().address != "旧住址1号"
    assert history.where("address = '旧住址1号'").count() == 1
    assert {r.status for r in _ledger(spark, settings)} == {"published"}

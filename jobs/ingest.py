"""Ingestion steps for one catalogue resource: land -> bronze -> validate -> silver.

Each step handles every pending batch of the resource and is safe to repeat: raw copies are
immutable, bronze and quarantine replace their batch, silver merges by key, the ledger merges by
batch id. Airflow runs each step as one task (`govlake ingest <step> <resource>`).
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from govlake import lake
from govlake.catalogue import Catalogue, Resource, load
from govlake.config import Settings, resolve

TZ = dt.timezone(dt.timedelta(hours=8))


def say(msg: str) -> None:
    print(f"[govlake] {msg}", flush=True)


def _sha256(p: Path) -> str:
    h = hashlib.sha256()
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def raw_dir(s: Settings, res: Resource) -> Path:
    return Path(s.lake) / "raw" / res.department / res.code.split(".", 1)[1]


def landing_dir(s: Settings, res: Resource) -> Path:
    return Path(s.landing) / res.department / res.code.split(".", 1)[1]


# --- land (no Spark) ----------------------------------------------------------------------------

def land(s: Settings, res: Resource) -> list[str]:
    """Copy every new, intact delivery to raw with a manifest (checksum, rows, delivery time)."""
    src_root, dst_root = landing_dir(s, res), raw_dir(s, res)
    dst_root.mkdir(parents=True, exist_ok=True)
    landed_sums = {json.loads(m.read_text())["checksum"]: m.parent.name for m in dst_root.glob("*/_manifest.json")}
    landed: list[str] = []
    for ddir in sorted(p for p in src_root.glob("*") if p.is_dir()):
        batch_id = f"{res.code}.{ddir.name}"
        target = dst_root / batch_id
        problem, manifest = None, None
        mfile = ddir / "manifest.json"
        if not mfile.is_file():
            problem = "缺少 manifest.json（交付清单）"
        else:
            manifest = json.loads(mfile.read_text(encoding="utf-8"))
            for f in manifest.get("files", []):
                fp = ddir / f["name"]
                if not fp.is_file():
                    problem = f"清单中的文件 {f['name']} 不存在"
                elif _sha256(fp) != f.get("sha256"):
                    problem = f"文件 {f['name']} 校验和与清单不符（传输损坏或被改动）"
            if not manifest.get("files"):
                problem = "交付清单没有列出任何文件"
        if problem:
            refused = dst_root / "_refused" / f"{ddir.name}.json"
            refused.parent.mkdir(exist_ok=True)
            refused.write_text(json.dumps({"delivery": str(ddir), "reason": problem}, ensure_ascii=False))
            say(f"拒收 {ddir}: {problem} (recorded in {refused})")
            continue
        checksum = hashlib.sha256("".join(f["sha256"] for f in manifest["files"]).encode()).hexdigest()
        if (target / "_manifest.json").is_file():
            continue  # already landed; raw is immutable
        if checksum in landed_sums:
            say(f"重复交付 {ddir.name}: 内容与批次 {landed_sums[checksum]} 相同，已跳过")
            continue
        tmp = dst_root / f".{batch_id}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        rows = 0
        for f in manifest["files"]:
            shutil.copy2(ddir / f["name"], tmp / f["name"])
            enc = "utf-8-sig" if f.get("encoding", "utf-8").lower().replace("_", "-") == "utf-8" else f["encoding"]
            with (tmp / f["name"]).open(encoding=enc, newline="") as fh:
                rows += max(sum(1 for _ in csv.reader(fh)) - 1, 0)
        raw_manifest = {
            "batch_id": batch_id, "resource": res.code, "department": res.department,
            "delivery_id": ddir.name, "delivered_at": manifest.get("delivered_at"),
            "landed_at": dt.datetime.now(TZ).isoformat(timespec="seconds"),
            "checksum": checksum, "rows": rows, "files": manifest["files"],
        }
        (tmp / "_manifest.json").write_text(json.dumps(raw_manifest, ensure_ascii=False, indent=2))
        for p in tmp.iterdir():
            os.chmod(p, 0o444)
        tmp.rename(target)
        landed_sums[checksum] = batch_id
        landed.append(batch_id)
        say(f"已落地 {batch_id}: {rows} 行 -> {target}")
    say(f"{res.code}: 本次落地 {len(landed)} 个批次")
    return landed


def raw_batches(s: Settings, res: Resource) -> list[dict]:
    out = [json.loads(m.read_text()) for m in raw_dir(s, res).glob("*/_manifest.json")]
    return sorted(out, key=lambda m: (m.get("delivered_at") or "", m["batch_id"]))


# --- ledger --------------------------------------------------------------------------------------

def ledger_status(spark, s: Settings) -> dict[str, str]:
    df = lake.read(spark, lake.path(s, "ops", "batch_ledger"))
    return {} if df is None else {r.batch_id: r.status for r in df.select("batch_id", "status").collect()}


def write_ledger(spark, s: Settings, rows: list[dict]) -> None:
    from pyspark.sql import types as T
    schema = T.StructType([
        T.StructField("batch_id", T.StringType()), T.StructField("resource", T.StringType()),
        T.StructField("department", T.StringType()), T.StructField("delivery_id", T.StringType()),
        T.StructField("delivered_at", T.StringType()), T.StructField("landed_at", T.StringType()),
        T.StructField("checksum", T.StringType()), T.StructField("raw_rows", T.LongType()),
        T.StructField("bronze_rows", T.LongType()), T.StructField("silver_rows", T.LongType()),
        T.StructField("quarantined_rows", T.LongType()), T.StructField("duplicate_rows", T.LongType()),
        T.StructField("status", T.StringType()), T.StructField("message", T.StringType()),
        T.StructField("updated_at", T.TimestampType()),
    ])
    now = dt.datetime.now(TZ)
    full = [{**{f.name: None for f in schema.fields}, **r, "updated_at": now} for r in rows]
    lake.merge(spark.createDataFrame(full, schema), lake.path(s, "ops", "batch_ledger"), ["batch_id"])


def _ledger_base(m: dict) -> dict:
    return {k: m.get(k) for k in ("batch_id", "resource", "department", "delivery_id",
                                  "delivered_at", "landed_at", "checksum")} | {"raw_rows": m["rows"]}


def pending(spark, s: Settings, res: Resource, wanted: set[str]) -> list[dict]:
    status = ledger_status(spark, s)
    return [m for m in raw_batches(s, res) if status.get(m["batch_id"], "landed") in wanted]


# --- bronze --------------------------------------------------------------------------------------

def bronze(spark, s: Settings, res: Resource) -> int:
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    refused = 0
    for m in pending(spark, s, res, {"landed", "bronze"}):
        bdir = raw_dir(s, res) / m["batch_id"]
        f = m["files"][0]
        enc = f.get("encoding", "utf-8")
        df = (spark.read.option("header", True).option("encoding", enc).option("inferSchema", False)
              .option("mode", "PERMISSIVE").csv(str(bdir / f["name"])))
        cols = [c.strip().lstrip("\ufeff") for c in df.columns]
        df = df.toDF(*cols)
        missing, extra = set(res.items) - set(cols), set(cols) - set(res.items)
        if missing or extra:
            msg = f"列与目录不符：缺少 {sorted(missing)}，多出 {sorted(extra)}"
            write_ledger(spark, s, [_ledger_base(m) | {"status": "refused", "message": msg}])
            say(f"拒收批次 {m['batch_id']}: {msg}")
            refused += 1
            continue
        order = Window.orderBy("_mono")
        out = (df.withColumn("_mono", F.monotonically_increasing_id())
               .withColumn("_row_number", F.row_number().over(order)).drop("_mono")
               .withColumn("_row_hash", F.sha2(F.to_json(F.struct(*[F.col(f"`{c}`") for c in cols])), 256))
               .withColumn("_batch_id", F.lit(m["batch_id"]))
               .withColumn("_source_file", F.lit(f"raw/{res.department}/{bdir.parent.name}/{m['batch_id']}/{f['name']}"))
               .withColumn("_ingested_at", F.to_timestamp(F.lit(m["landed_at"]))))
        lake.replace_batch(out, lake.path(s, "bronze", res.bronze_table), m["batch_id"], partition=True)
        n = spark.read.format("delta").load(lake.path(s, "bronze", res.bronze_table)).where(
            F.col("_batch_id") == m["batch_id"]).count()
        write_ledger(spark, s, [_ledger_base(m) | {"bronze_rows": n, "status": "bronze"}])
        say(f"bronze.{res.bronze_table} <- {m['batch_id']}: {n} 行")
    if refused:
        say(f"{res.code}: {refused} 个批次被拒收（原因见 lake.ops.batch_ledger），其余批次继续处理")
    return 0  # a refused delivery is recorded in the ledger; the others keep flowing


# --- validate ------------------------------------------------------------------------------------

def staging(s: Settings, res: Resource, batch_id: str, part: str) -> str:
    return f"{s.lake.rstrip('/')}/_staging/{res.code}/{batch_id}/{part}"


def validate(spark, s: Settings, cat: Catalogue, res: Resource) -> int:
    from pyspark.sql import functions as F

    from jobs import standardise
    from quality.gate import Gate
    gate, failed = None, 0
    for m in pending(spark, s, res, {"bronze", "validated", "rejected"}):
        b = m["batch_id"]
        as_of = (m.get("delivered_at") or m["landed_at"])[:10]
        br = spark.read.format("delta").load(lake.path(s, "bronze", res.bronze_table)).where(F.col("_batch_id") == b)
        std = standardise.standardise(br, cat, res, as_of).cache()
        accepted = standardise.silver_rows(std, res)
        gate = gate or Gate(Path(s.instance) / "gx")
        result = gate.validate(cat, res, std, accepted, as_of)
        qr = spark.createDataFrame([r | {"_batch_id": b, "resource": res.code, "department": res.department,
                                         "validated_at": dt.datetime.now(TZ)}
                                    for r in result.rows],
                                   "suite string, expectation string, column string, severity string, "
                                   "success boolean, element_count long, unexpected_count long, "
                                   "unexpected_percent double, observed string, _batch_id string, "
                                   "resource string, department string, validated_at timestamp")
        lake.replace_batch(qr, lake.path(s, "ops", "quality_results"), b)
        counts = std.groupBy().agg(
            F.count("*").alias("n"), F.sum(F.col("_accepted").cast("long")).alias("acc"),
            F.sum(F.col("_duplicate").cast("long")).alias("dup")).first()
        quarantined = counts.n - counts.acc - counts.dup
        accepted.write.format("delta").mode("overwrite").save(staging(s, res, b, "accepted"))
        standardise.quarantine_rows(std, res).write.format("delta").mode("overwrite").save(
            staging(s, res, b, "quarantine"))
        std.unpersist()
        status = "validated" if result.success else "rejected"
        msg = None if result.success else "；".join(
            f"{f['suite']}:{f['expectation']}({f['column'] or ''}) 未通过" for f in result.failures)
        write_ledger(spark, s, [_ledger_base(m) | {
            "bronze_rows": counts.n, "silver_rows": counts.acc, "quarantined_rows": quarantined,
            "duplicate_rows": counts.dup, "status": status, "message": msg}])
        say(f"校验 {b}: {'通过' if result.success else '未通过'}；待入库 {counts.acc}，隔离 {quarantined}，重复 {counts.dup}"
            + ("" if result.success else f"；{msg}"))
        failed += not result.success
    if gate:
        gate.build_docs()
    return 1 if failed else 0


# --- silver --------------------------------------------------------------------------------------

def silver(spark, s: Settings, cat: Catalogue, res: Resource) -> int:
    from pyspark.sql import functions as F
    write_code_tables(spark, s, cat)
    status = ledger_status(spark, s)
    for m in raw_batches(s, res):
        b = m["batch_id"]
        if status.get(b) != "validated":
            continue
        acc = spark.read.format("delta").load(staging(s, res, b, "accepted"))
        lake.merge(acc, lake.path(s, "silver", res.silver_table), [res.key], changed="_row_hash")
        q = spark.read.format("delta").load(staging(s, res, b, "quarantine"))
        lake.replace_batch(q, lake.path(s, "ops", "quarantine"), b)
        led = spark.read.format("delta").load(lake.path(s, "ops", "batch_ledger")).where(F.col("batch_id") == b).first()
        write_ledger(spark, s, [{**led.asDict(), "status": "published", "message": None}])
        if s.lake_is_local:
            shutil.rmtree(Path(staging(s, res, b, "")), ignore_errors=True)
        say(f"silver.{res.silver_table} <- {b}: 入库 {led.silver_rows}，隔离 {led.quarantined_rows}，重复 {led.duplicate_rows}")
    lake.document(spark, s, cat)
    return 0


def write_code_tables(spark, s: Settings, cat: Catalogue) -> None:
    from govlake.province import divisions
    counties = [(c.code, c.name, c.city_code, c.city_name) for c in divisions.load(s.cache).counties]
    lake.write_if_absent(spark.createDataFrame(counties, "region_code string, region_name string, "
                                                         "city_code string, city_name string"),
                         lake.path(s, "silver", "code_region"))
    sex = cat.code_tables["sex"]["codes"]
    lake.write_if_absent(spark.createDataFrame(sorted(sex.items()), "code string, name string"),
                         lake.path(s, "silver", "code_sex"))


def run_step(step: str, resource: str) -> int:
    s = resolve()
    cat = load()
    res = cat.resource(resource)
    if step == "land":
        land(s, res)
        return 0
    from govlake.spark import get_spark
    spark = get_spark(s, app=f"govlake-{step}-{resource}")
    try:
        if step == "bronze":
            return bronze(spark, s, res)
        if step == "validate":
            return validate(spark, s, cat, res)
        return silver(spark, s, cat, res)
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(run_step(sys.argv[1], sys.argv[2]))

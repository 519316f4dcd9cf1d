"""Ingestion steps for catalogue resources: land -> bronze -> validate -> silver.

Each step handles every pending batch of a resource and is safe to repeat: raw copies are
immutable, bronze and quarantine replace their batch, silver merges by key (an older snapshot never
overwrites a newer one), the ledger merges by batch id. Airflow runs each step as one task per
department (`govlake ingest <step> <department>`); `govlake ingest run all` runs every step for
every resource in one Spark session.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

from govlake import lake
from govlake.catalogue import Catalogue, Resource, load
from govlake.config import Settings, resolve
from jobs import delivery

TZ = dt.timezone(dt.timedelta(hours=8))
# Seconds spent per phase in this process (read by bench/ingest_province.py).
TIMINGS: dict[str, float] = {}
STEPS = ("land", "bronze", "validate", "silver")


def say(msg: str) -> None:
    print(f"[govlake] {msg}", flush=True)


def _sha256(p: Path) -> str:
    h = hashlib.sha256()
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def raw_dir(s: Settings, res: Resource) -> Path:
    return Path(s.lake) / "raw" / res.department / res.name


def landing_dir(s: Settings, res: Resource) -> Path:
    return Path(s.landing) / res.department / res.name


def refused_dir(s: Settings, res: Resource) -> Path:
    return raw_dir(s, res) / "_refused"


# --- land (no Spark) ----------------------------------------------------------------------------

def _check_delivery(ddir: Path, res: Resource) -> tuple[dict | None, str | None, delivery.Inspection | None]:
    """(manifest, problem, inspection): the manifest and checksums, then the file's structure."""
    mfile = ddir / "manifest.json"
    if not mfile.is_file():
        return None, "缺少 manifest.json（交付清单）", None
    try:
        manifest = json.loads(mfile.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"交付清单 manifest.json 无法解析：{exc}", None
    files = manifest.get("files") or []
    if not files:
        return manifest, "交付清单没有列出任何文件", None
    if len(files) > 1:
        return manifest, f"交付清单列出 {len(files)} 个文件，目录约定每次交付一个数据文件", None
    f = files[0]
    fp = ddir / f["name"]
    if not fp.is_file():
        return manifest, f"清单中的文件 {f['name']} 不存在", None
    if _sha256(fp) != f.get("sha256"):
        return manifest, f"文件 {f['name']} 校验和与清单不符（传输损坏或被改动）", None
    try:
        insp = delivery.inspect(fp, res, f)
    except delivery.DeliveryError as exc:
        return manifest, str(exc), None
    return manifest, None, insp


def land(s: Settings, res: Resource) -> list[str]:
    """Copy every new, intact delivery to raw with a manifest (checksum, rows, header, data date).
    A delivery that cannot be read as the catalogue says is refused with its reason."""
    src_root, dst_root = landing_dir(s, res), raw_dir(s, res)
    dst_root.mkdir(parents=True, exist_ok=True)
    landed_sums = {json.loads(m.read_text())["checksum"]: m.parent.name for m in dst_root.glob("*/_manifest.json")}
    landed: list[str] = []
    for ddir in sorted(p for p in src_root.glob("*") if p.is_dir()):
        batch_id = f"{res.code}.{ddir.name}"
        target = dst_root / batch_id
        if (target / "_manifest.json").is_file():
            continue  # already landed; raw is immutable
        refused = refused_dir(s, res) / f"{ddir.name}.json"
        manifest, problem, insp = _check_delivery(ddir, res)
        if problem:
            if not refused.is_file():
                refused.parent.mkdir(parents=True, exist_ok=True)
                m = manifest or {}
                refused.write_text(json.dumps({
                    "batch_id": batch_id, "resource": res.code, "department": res.department,
                    "delivery_id": ddir.name, "delivered_at": m.get("delivered_at"), "data_date": m.get("data_date"),
                    "landed_at": dt.datetime.now(TZ).isoformat(timespec="seconds"), "delivery": str(ddir),
                    "reason": problem}, ensure_ascii=False, indent=2), encoding="utf-8")
                say(f"拒收 {res.code} 交付 {ddir.name}：{problem}（记录于 {refused}）")
            continue
        checksum = hashlib.sha256("".join(f["sha256"] for f in manifest["files"]).encode()).hexdigest()
        if checksum in landed_sums:
            say(f"重复交付 {ddir.name}: 内容与批次 {landed_sums[checksum]} 相同，已跳过")
            continue
        tmp = dst_root / f".{batch_id}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        f = manifest["files"][0]
        shutil.copy2(ddir / f["name"], tmp / f["name"])
        delivered = manifest.get("delivered_at") or dt.datetime.now(TZ).isoformat(timespec="seconds")
        raw_manifest = {
            "batch_id": batch_id, "resource": res.code, "department": res.department,
            "delivery_id": ddir.name, "delivered_at": delivered,
            "data_date": manifest.get("data_date") or delivered[:10],
            "landed_at": dt.datetime.now(TZ).isoformat(timespec="seconds"),
            "checksum": checksum, "rows": insp.rows, "header": insp.header, "malformed_rows": insp.malformed,
            "format": insp.format, "encoding": insp.encoding, "files": manifest["files"],
        }
        (tmp / "_manifest.json").write_text(json.dumps(raw_manifest, ensure_ascii=False, indent=2))
        for p in tmp.iterdir():
            os.chmod(p, 0o444)
        tmp.rename(target)
        refused.unlink(missing_ok=True)
        landed_sums[checksum] = batch_id
        landed.append(batch_id)
        say(f"已落地 {batch_id}: {insp.rows} 行 -> {target}")
    say(f"{res.code}: 本次落地 {len(landed)} 个批次")
    return landed


def raw_batches(s: Settings, res: Resource) -> list[dict]:
    """Landed batches in the order their data happened (data date, then delivery id): a late or
    out-of-order delivery is applied where it belongs, not where it arrived."""
    out = [json.loads(m.read_text()) for m in raw_dir(s, res).glob("*/_manifest.json")]
    return sorted(out, key=lambda m: (m.get("data_date") or "", m["delivery_id"]))


PUBLISHED = "_published"


def has_work(s: Settings, res: Resource) -> bool:
    """Anything for the Spark steps to do: a landed batch not yet published, or a refusal not yet in
    the ledger. Read from marker files, so an hourly DAG run with nothing new starts no Spark."""
    root = raw_dir(s, res)
    if any(not (m.parent / PUBLISHED).exists() for m in root.glob("*/_manifest.json")):
        return True
    return any(not r.with_suffix(".recorded").exists() for r in refused_dir(s, res).glob("*.json"))


def refused_batches(s: Settings, res: Resource) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(refused_dir(s, res).glob("*.json"))]


# --- the ops tables, written once per step ------------------------------------------------------

LEDGER_SCHEMA = (
    "batch_id string, resource string, department string, delivery_id string, data_date string, "
    "delivered_at string, landed_at string, checksum string, raw_rows long, bronze_rows long, silver_rows long, "
    "quarantined_rows long, duplicate_rows long, status string, message string, updated_at timestamp")
QUALITY_SCHEMA = ("suite string, expectation string, column string, severity string, success boolean, "
                  "element_count long, unexpected_count long, unexpected_percent double, observed string, "
                  "_batch_id string, resource string, department string, validated_at timestamp")


def ledger_status(spark, s: Settings) -> dict[str, str]:
    df = lake.read(spark, lake.path(s, "ops", "batch_ledger"))
    return {} if df is None else {r.batch_id: r.status for r in df.select("batch_id", "status").collect()}


def _ledger_base(m: dict) -> dict:
    return {k: m.get(k) for k in ("batch_id", "resource", "department", "delivery_id", "data_date",
                                  "delivered_at", "landed_at", "checksum")} | {"raw_rows": m.get("rows")}


class Run:
    """One pass over some resources in one Spark session. Ledger entries, quality results,
    scorecards, quarantine and feedback rows are collected and written by `flush` in one commit per
    table (a Delta commit costs about a second; per batch that would dominate small deliveries)."""

    def __init__(self, spark, s: Settings, cat: Catalogue):
        self.spark, self.s, self.cat = spark, s, cat
        self.status = ledger_status(spark, s)
        self.ledger: dict[str, dict] = {}
        self.quality: list[dict] = []
        self.cards: list[dict] = []
        self.rows: dict[str, list] = {"quarantine": [], "feedback": []}
        self.validated: list[str] = []
        self.published: list[Path] = []  # markers to touch once the ledger says so
        self.gate = None
        self._regions = None

    def regions(self):
        if self._regions is None:
            self._regions = regions(self.s, self.cat)
        return self._regions

    def record(self, entry: dict) -> None:
        b = entry["batch_id"]
        self.ledger[b] = {**self.ledger.get(b, {}), **entry}
        self.status[b] = entry["status"]

    def pending(self, res: Resource, wanted: set[str]) -> list[dict]:
        return [m for m in raw_batches(self.s, res) if self.status.get(m["batch_id"], "landed") in wanted]

    def flush(self) -> None:
        from quality import scorecard
        from jobs.standardise import FEEDBACK_SCHEMA, QUARANTINE_SCHEMA
        spark, s = self.spark, self.s
        if self.validated:
            ids = self.validated
            lake.replace_batches(spark.createDataFrame(self.quality, QUALITY_SCHEMA),
                                 lake.path(s, "ops", "quality_results"), ids)
            lake.replace_batches(scorecard.to_frame(spark, self.cards), lake.path(s, "ops", "scorecard"), ids)
            lake.replace_batches(spark.createDataFrame(self.rows["quarantine"], QUARANTINE_SCHEMA),
                                 lake.path(s, "ops", "quarantine"), ids)
            lake.replace_batches(spark.createDataFrame(self.rows["feedback"], FEEDBACK_SCHEMA),
                                 lake.path(s, "ops", "feedback"), ids)
        if self.ledger:
            from pyspark.sql import types as T
            schema = T._parse_datatype_string(LEDGER_SCHEMA)
            now = dt.datetime.now(TZ)
            old = lake.read(spark, lake.path(s, "ops", "batch_ledger"))
            prior = {} if old is None else {r.batch_id: r.asDict() for r in
                                            old.where(old.batch_id.isin(list(self.ledger))).collect()}
            rows = [{**{f.name: None for f in schema.fields}, **prior.get(b, {}), **e, "updated_at": now}
                    for b, e in self.ledger.items()]
            lake.merge(spark.createDataFrame(rows, schema), lake.path(s, "ops", "batch_ledger"), ["batch_id"],
                       changed_any=[f.name for f in schema.fields if f.name != "updated_at"])
            for marker in self.published:
                marker.touch()
            for e in self.ledger.values():
                if e.get("status") == "refused":
                    refused = refused_dir(s, self.cat.resource(e["resource"])) / f"{e['delivery_id']}.json"
                    refused.with_suffix(".recorded").touch()
        self.published = []
        self.ledger, self.quality, self.cards, self.validated = {}, [], [], []
        self.rows = {"quarantine": [], "feedback": []}


# --- bronze --------------------------------------------------------------------------------------

def bronze(run: Run, res: Resource) -> int:
    from functools import reduce

    from pyspark.sql import functions as F
    s = run.s
    for r in refused_batches(s, res):
        if run.status.get(r["batch_id"]) != "refused":
            run.record(_ledger_base(r) | {"raw_rows": None, "status": "refused", "message": r["reason"]})
            say(f"批次 {r['batch_id']} 已拒收：{r['reason']}")
    batches = run.pending(res, {"landed", "bronze"})
    if not batches:
        return 0
    frames = []
    for m in batches:
        bdir = raw_dir(s, res) / m["batch_id"]
        df = delivery.read(run.spark, bdir / m["files"][0]["name"], m, res, staging(s, res, m["batch_id"], "source"))
        cols = [i.column for i in res.items if i.column in df.columns] + [delivery.CORRUPT]
        df = df.select(*[F.col(f"`{c}`") for c in cols])
        frames.append(delivery.with_row_numbers(df)
                      .withColumn("_row_hash", F.sha2(F.to_json(F.struct(*[F.col(f"`{c}`") for c in cols[:-1]])), 256))
                      .withColumn("_batch_id", F.lit(m["batch_id"]))
                      .withColumn("_data_date", F.to_date(F.lit(m["data_date"])))
                      .withColumn("_source_file", F.lit(f"raw/{res.department}/{res.name}/{m['batch_id']}/"
                                                        f"{m['files'][0]['name']}"))
                      .withColumn("_ingested_at", F.to_timestamp(F.lit(m["landed_at"]))))
    out = reduce(lambda a, b: a.unionByName(b), frames)
    lake.replace_batches(out, lake.path(s, "bronze", res.bronze_table), [m["batch_id"] for m in batches],
                         partition=True)
    for m in batches:
        run.record(_ledger_base(m) | {"bronze_rows": m["rows"], "status": "bronze"})
        say(f"bronze.{res.bronze_table} <- {m['batch_id']}: {m['rows']} 行")
    return 0


# --- validate ------------------------------------------------------------------------------------

def staging(s: Settings, res: Resource, batch_id: str, part: str) -> str:
    return f"{s.lake.rstrip('/')}/_staging/{res.code}/{batch_id}/{part}"


def accepted_staging(s: Settings, res: Resource) -> str:
    return f"{s.lake.rstrip('/')}/_staging/{res.code}/_accepted"


def regions(s: Settings, cat: Catalogue) -> list[tuple[str, str | None, str | None]]:
    """(code, valid_from, valid_to) for the region check: the division table plus its history."""
    from govlake.province import divisions
    out = {c.code: (c.code, None, None) for c in divisions.load(s.cache, villages=False).counties}
    for h in cat.region_history:
        lo, hi = h.get("created"), h.get("retired")
        out[str(h["code"])] = (str(h["code"]), lo and str(lo), hi and str(hi))
    return sorted(out.values())


def reference_keys(spark, s: Settings, cat: Catalogue, res: Resource) -> dict:
    out = {}
    for ref in res.references:
        target = cat.resources[ref.resource]
        df = lake.read(spark, lake.path(s, "silver", target.silver_table))
        if df is not None:
            out[ref.resource] = df.select(df[target.key[0]].cast("string").alias("k"))
    return out


def _timed(phase: str, seconds: float) -> None:
    TIMINGS[phase] = TIMINGS.get(phase, 0.0) + seconds


def validate(run: Run, res: Resource, stage: bool = True):
    """Standardise and check every pending batch of the resource; returns the accepted rows of the
    batches that pass (a DataFrame over the cached standardised rows; None when there are none).
    With `stage`, they are also written to the staging area for a separate silver step."""
    from pyspark.sql import functions as F

    from jobs import standardise
    from quality import scorecard
    from quality.gate import Gate, batch_failures
    spark, s, cat = run.spark, run.s, run.cat
    batches = run.pending(res, {"bronze", "validated", "rejected"})
    if not batches:
        return None
    ids = [m["batch_id"] for m in batches]
    region_list = run.regions()
    br = spark.read.format("delta").load(lake.path(s, "bronze", res.bronze_table)).where(F.col("_batch_id").isin(ids))
    t0 = time.monotonic()
    std = standardise.standardise(br, cat, res, region_list, reference_keys(spark, s, cat, res)).cache()
    std.count()
    t1 = time.monotonic()
    checks = standardise.check_list(cat, res, region_list)
    cards = {c["_batch_id"]: c for c in scorecard.batch_scores(std, res, checks, batches)}
    _timed("standardise", t1 - t0)
    _timed("scorecard", time.monotonic() - t1)
    now = dt.datetime.now(TZ)
    passed = []
    for m in batches:
        b = m["batch_id"]
        card = cards.get(b) or scorecard.empty(b)
        problems, rows = batch_failures(res, card, checks)
        tag = {"_batch_id": b, "resource": res.code, "department": res.department, "validated_at": now}
        run.quality += [r | tag for r in rows + scorecard.check_rows(card, checks, res.code)]
        run.cards.append(card | {"resource": res.code, "department": res.department, "data_date": m["data_date"],
                                 "delivered_at": m["delivered_at"], "scored_at": now})
        run.record(_ledger_base(m) | {
            "bronze_rows": card["rows"], "silver_rows": card["accepted"], "quarantined_rows": card["quarantined"],
            "duplicate_rows": card["duplicates"], "status": "rejected" if problems else "validated",
            "message": "；".join(problems) or None})
        run.validated.append(b)
        if not problems:
            passed.append(b)
    accepted = standardise.silver_rows(std.where(F.col("_batch_id").isin(passed)), res) if passed else None
    if accepted is not None:
        # Great Expectations on everything about to be published, from the element rules.
        run.gate = run.gate or Gate(Path(s.instance) / "gx")
        as_of = max(m["data_date"] for m in batches if m["batch_id"] in passed)
        # The narrow publishable rows, cached: every expectation scans them instead of the wide
        # standardised frame, and the silver merge reuses them (materialised before the clock
        # starts: the merge needs them either way).
        accepted = accepted.cache()
        accepted.count()
        t2 = time.monotonic()
        result = run.gate.validate_silver(cat, res, accepted, as_of, region_list)
        _timed("great_expectations", time.monotonic() - t2)
        tag = {"_batch_id": passed[0], "resource": res.code, "department": res.department, "validated_at": now}
        run.quality += [r | tag for r in result.rows]
        if not result.success:
            for b in passed:
                run.record({"batch_id": b, "status": "rejected", "message": "；".join(result.messages)})
            passed, accepted = [], None
    for kind, frame in (("quarantine", standardise.quarantine_rows(std, res)),
                        ("feedback", standardise.feedback_rows(std, res))):
        run.rows[kind] += [r.asDict() for r in frame.collect()]
    for m in batches:
        b, e = m["batch_id"], run.ledger[m["batch_id"]]
        say(f"校验 {b}: {'通过' if e['status'] == 'validated' else '未通过（不发布）'}；待入库 {e['silver_rows']}，"
            f"隔离 {e['quarantined_rows']}，重复 {e['duplicate_rows']}" + (f"；{e['message']}" if e.get("message") else ""))
    if accepted is not None and stage:
        accepted.write.format("delta").mode("overwrite").save(accepted_staging(s, res))
    if stage:
        std.unpersist()
        if accepted is not None:
            accepted.unpersist()
    return (accepted, std) if not stage else None


# --- silver --------------------------------------------------------------------------------------

def silver(run: Run, res: Resource, accepted=None) -> int:
    """Merge the validated batches into silver: the newest data date wins per key, an older snapshot
    arriving late never overwrites newer data; with `history`, every new version is kept as well."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    spark, s = run.spark, run.s
    write_code_tables(spark, s, run.cat)
    batches = run.pending(res, {"validated"})
    if not batches:
        return 0
    if accepted is None:
        accepted = lake.read(spark, accepted_staging(s, res))
        if accepted is None:
            return 0
    ids = [m["batch_id"] for m in batches]
    accepted = accepted.where(F.col("_batch_id").isin(ids))
    keys = [F.col(f"`{k}`") for k in res.key]
    latest = Window.partitionBy(*keys).orderBy(F.col("_data_date").desc(), F.col("_batch_id").desc())
    newest = accepted.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n")
    lake.merge(newest, lake.path(s, "silver", res.silver_table), list(res.key), changed="_row_hash",
               newer="_data_date")
    if res.history:
        versions = accepted.dropDuplicates([*res.key, "_row_hash"])
        lake.merge(versions, lake.path(s, "silver", f"{res.silver_table}_history"), list(res.key) + ["_row_hash"],
                   insert_only=True)
    for m in batches:
        e = run.ledger.get(m["batch_id"]) or {}
        run.record({**_ledger_base(m), **e, "status": "published", "message": None})
        run.published.append(raw_dir(s, res) / m["batch_id"] / PUBLISHED)
        say(f"silver.{res.silver_table} <- {m['batch_id']}: 已发布")
    if s.lake_is_local:
        shutil.rmtree(Path(s.lake) / "_staging" / res.code, ignore_errors=True)
    return 0


def write_code_tables(spark, s: Settings, cat: Catalogue) -> None:
    from govlake.province import divisions
    counties = [(c.code, c.name, c.city_code, c.city_name) for c in divisions.load(s.cache, villages=False).counties]
    lake.write_if_absent(spark.createDataFrame(counties, "region_code string, region_name string, "
                                                         "city_code string, city_name string"),
                         lake.path(s, "silver", "code_region"))
    sex = cat.code_tables["sex"]["codes"]
    lake.write_if_absent(spark.createDataFrame(sorted(sex.items()), "code string, name string"),
                         lake.path(s, "silver", "code_sex"))


def finish(spark, s: Settings, cat: Catalogue, departments: set[str]) -> None:
    """After silver: table comments from the catalogue, and each department's feedback file."""
    from quality import feedback
    lake.document(spark, s, cat)
    for d in sorted(departments):
        path = feedback.export(spark, s, cat, d)
        if path:
            say(f"{cat.departments()[d][0]} 纠错反馈清单：{path}")


# --- drivers -------------------------------------------------------------------------------------

def _ordered(cat: Catalogue, resources: list[Resource]) -> list[Resource]:
    """Referenced resources before those that refer to them (population before social insurance)."""
    done: list[Resource] = []
    todo = list(resources)
    while todo:
        for r in todo:
            if all(ref.resource not in {t.code for t in todo if t is not r} for ref in r.references):
                done.append(r)
                todo.remove(r)
                break
        else:  # a cycle: keep catalogue order
            done += todo
            break
    return done


def run_step(step: str, target: str) -> int:
    """One step for a resource or a department (an Airflow task)."""
    s = resolve()
    cat = load()
    resources = _ordered(cat, cat.select(target))
    if step == "land":
        for res in resources:
            land(s, res)
        return 0
    if s.lake_is_local and not any(has_work(s, r) for r in resources):
        say(f"{target}: 没有待处理的批次（所有已落地批次均已发布），跳过 {step}")
        return 0
    from govlake.spark import get_spark
    spark = get_spark(s, app=f"govlake-{step}-{target}")
    try:
        run = Run(spark, s, cat)
        for res in resources:
            if step == "bronze":
                bronze(run, res)
            elif step == "validate":
                validate(run, res)
            elif step == "silver":
                silver(run, res)
        return _finish(run, resources, step)
    finally:
        spark.stop()


def _finish(run: Run, resources: list[Resource], step: str) -> int:
    rejected = [b for b, e in run.ledger.items() if e.get("status") == "rejected"]
    run.flush()
    if run.gate:
        run.gate.build_docs()
    if step in ("silver", "run"):
        finish(run.spark, run.s, run.cat, {r.department for r in resources})
    if rejected:
        say(f"{len(rejected)} 个批次未通过质量闸门、未发布（原因见 lake.ops.batch_ledger 与纠错反馈清单）：{rejected}")
    return 0  # a held-back batch is recorded and reported; the other batches and departments keep flowing


def run_in(spark, s: Settings, cat: Catalogue, resources: list[Resource]) -> int:
    """Every step for `resources` in an existing Spark session (validate and silver fused: the
    accepted rows go straight from the cached standardised batch into silver)."""
    run = Run(spark, s, cat)
    for res in _ordered(cat, resources):
        t0 = time.monotonic()
        land(s, res)
        bronze(run, res)
        out = validate(run, res, stage=False)
        if out is not None:
            accepted, std = out
            silver(run, res, accepted)
            std.unpersist()
            if accepted is not None:
                accepted.unpersist()
        say(f"{res.code}: 用时 {time.monotonic() - t0:.1f}s")
    return _finish(run, resources, "run")


def run_all(target: str) -> int:
    s = resolve()
    cat = load()
    from govlake.spark import get_spark
    spark = get_spark(s, app=f"govlake-ingest-{target}")
    try:
        return run_in(spark, s, cat, cat.select(target))
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(run_step(sys.argv[1], sys.argv[2]))

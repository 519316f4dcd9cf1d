"""Benchmark: bronze -> silver for the whole sample province, including validation.

    .govlake/venv/project/bin/python bench/ingest_province.py --persons 1000000 --days 3

Generates the province (or reuses --dir), ingests every resource in one Spark session (the steps
`govlake ingest run all` runs: land, bronze, validate, silver) into a scratch instance, and prints
and appends to bench/results/ingest_province.jsonl: wall time, rows per second per core, Spark
driver peak memory, and validation's share of the job.

Validation = the per-row checks' own cost (standardising with them minus without them, measured
on the landed bronze with Spark's no-op sink) + scorecard aggregation + the Great Expectations
suite + the batch gate. Goal (issue 4): validation <= 25 % of the job.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import time
from pathlib import Path

import scratch

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--dir", default=str(ROOT / ".govlake" / "bench-ingest"), help="scratch instance")
    ap.add_argument("--driver-memory", default="8g")
    ap.add_argument("--keep", action="store_true", help="keep the lake afterwards")
    args = ap.parse_args()
    inst = Path(args.dir)
    scratch.use_instance(inst, args.driver_memory)
    from govlake import catalogue
    from govlake.config import resolve
    from govlake.province.generate import generate
    from govlake.spark import get_spark
    from jobs import ingest, standardise
    s = resolve()
    marker = inst / f".generated-{args.persons}-{args.days}-{args.seed}"
    if not marker.exists():
        shutil.rmtree(inst, ignore_errors=True)
        print(f"[bench] generating {args.persons} persons, {args.days} days ...", flush=True)
        generate(s.landing, persons=args.persons, seed=args.seed, days=args.days, truth=inst / "truth")
        marker.touch()
    for d in ("lake", "gx", "feedback"):
        shutil.rmtree(inst / d, ignore_errors=True)
    cat = catalogue.load()
    spark = get_spark(s, app="bench-ingest")
    try:
        t0 = time.perf_counter()
        ingest.run_in(spark, s, cat, list(cat.resources.values()))
        wall = time.perf_counter() - t0
        phases = dict(ingest.TIMINGS)
        ledger = spark.read.format("delta").load(s.table_path("ops", "batch_ledger"))
        agg = ledger.where("status = 'published'").selectExpr(
            "sum(raw_rows) raw", "sum(silver_rows) silver", "sum(quarantined_rows) q", "sum(duplicate_rows) d",
            "count(*) batches").first()
        # The per-row checks' own cost: standardise every resource with and without them.
        regions = ingest.regions(s, cat)
        with_checks = without = 0.0
        for res in cat.resources.values():
            br = spark.read.format("delta").load(s.table_path("bronze", res.bronze_table)) \
                if (Path(s.lake) / "bronze" / res.bronze_table).exists() else None
            if br is None:
                continue
            refs = ingest.reference_keys(spark, s, cat, res)
            for flag in (True, False):
                t = time.perf_counter()
                standardise.standardise(br, cat, res, regions, refs, row_checks=flag).write.format("noop") \
                    .mode("overwrite").save()
                if flag:
                    with_checks += time.perf_counter() - t
                else:
                    without += time.perf_counter() - t
        jvm_hwm_mb = scratch.jvm_peak_mb(spark)
    finally:
        spark.stop()
    checks_cost = max(with_checks - without, 0.0)
    validation = checks_cost + phases.get("scorecard", 0) + phases.get("great_expectations", 0)
    cores = os.cpu_count() or 1
    hwm = scratch.peak_rss_mb()
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"), "persons": args.persons, "days": args.days,
        "resources": len(cat.resources), "batches": agg.batches, "raw_rows": agg.raw, "silver_rows": agg.silver,
        "quarantined_rows": agg.q, "duplicate_rows": agg.d, "wall_s": round(wall, 1),
        "rows_per_s": round(agg.raw / wall), "cores": cores, "rows_per_s_per_core": round(agg.raw / wall / cores),
        "phases_s": {k: round(v, 1) for k, v in phases.items()},
        "row_checks_s": round(checks_cost, 1), "standardise_with_checks_s": round(with_checks, 1),
        "standardise_without_checks_s": round(without, 1),
        "validation_s": round(validation, 1), "validation_share": round(validation / wall, 3),
        "driver_memory": args.driver_memory, "spark_jvm_peak_rss_mb": round(jvm_hwm_mb),
        "python_peak_rss_mb": round(hwm), "machine": f"{platform.machine()} {platform.python_version()}"}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"goal: validation <= 25 % of the job -> {'met' if validation / wall <= 0.25 else 'NOT met'}")
    with (ROOT / "bench" / "results" / "ingest_province.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")
    if not args.keep:
        shutil.rmtree(inst / "lake", ignore_errors=True)


if __name__ == "__main__":
    main()

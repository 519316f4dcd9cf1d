"""Benchmark: gold and portraits on the sample province (issue 5).

    .govlake/venv/project/bin/python bench/gold_province.py            # after bench/ingest_province.py --keep

On the lake bench/ingest_province.py left in its scratch instance (1 million persons by default):

1. full build: OneID, golden dimensions, models, every portrait tag, the marts (`govlake gold build --full`);
2. a 1 % delivery: employment registrations for 1 % of the persons, one new day, ingested, then
   the incremental build (goal: <= 10 % of the full build);
3. portrait lookup by ID through Trino, 200 random persons and 100 entities (goal: p95 <= 1 s);
4. the incremental build as the scheduler runs it (dags/govlake_gold.py): the gold build service
   (govlake/buildservice.py, which `make up` starts) started afresh, then three more 1 % deliveries,
   a day apart, each ingested by `govlake ingest run` and built by `govlake gold build`, which
   hands the build to the service. The first runs in the service's cold JVM (as every scheduled
   build would without the service), the third in a JVM two incremental builds have warmed. Step 2
   runs in the JVM the full build has just warmed up.

Prints and appends to bench/results/gold_province.jsonl: times, touched subjects, the ratio, lookup
p50/p95, Spark driver peak memory, and the JVM's CPU seconds per build by kind of thread (tasks, JIT
compilers, GC, the rest).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import subprocess
import time
from pathlib import Path

import scratch

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".govlake" / "venv" / "project" / "bin" / "govlake")


def pick(spark, s, seed: int) -> tuple[list[tuple[str, str]], list[str]]:
    """1 % of the persons (existing adults, with their names) and existing employers to register them at."""
    from govlake import lake
    persons = lake.read(spark, lake.path(s, "gold", "dim_person")).where("death_date IS NULL")
    n = max(1, persons.count() // 100)
    people = persons.select("person_id", "name").orderBy("person_id").sample(fraction=min(1.0, 3 * n / max(persons.count(), 1)),
                                                                              seed=seed).limit(n).collect()
    employers = [r.entity_id for r in lake.read(spark, lake.path(s, "gold", "dim_legal_entity"))
                 .where("entity_kind = '企业'").select("entity_id").orderBy("entity_id").limit(5000).collect()]
    return [(p.person_id, p.name) for p in people], employers


def one_percent_delivery(s, day: dt.date, seed: int, picked: tuple[list[tuple[str, str]], list[str]]) -> int:
    """renshe.employment for the `picked` persons and employers, dated `day`."""
    from govlake.province.writer import DeliveryWriter
    people, employers = picked
    rng = random.Random(seed)
    folder = Path(s.landing) / "renshe" / "employment" / f"{day:%Y%m%d}-001"
    w = DeliveryWriter(folder, "employment", "jsonl", "utf-8", ["sfzh", "xm", "ygdwdm", "djlx", "djrq"])
    for person_id, name in people:
        w.write([person_id, name, rng.choice(employers), rng.choice(("就业登记", "失业登记")), day.isoformat()])
    w.close({"department": "renshe", "department_zh": "省人力资源和社会保障厅", "resource": "renshe.employment",
             "resource_zh": "就业登记信息", "delivery_id": folder.name, "mode": "incremental",
             "data_date": day.isoformat(), "delivered_at": f"{day + dt.timedelta(days=1)}T08:00:00+08:00",
             "header_style": "pinyin"})
    return len(people)


def scheduled_build(env: dict, label: str) -> tuple[float, float]:
    """The waiting delivery ingested by `govlake ingest run`, then `govlake gold build` in a new
    process, as the DAGs run them. Returns the build's own time (from its last line, comparable with
    the full build's, whose JVM start is not counted either) and the process's."""
    subprocess.run([CLI, "ingest", "run", "renshe.employment"], env=env, check=True)
    t = time.perf_counter()
    run = subprocess.run([CLI, "gold", "build"], env=env, stdout=subprocess.PIPE, text=True)  # stderr passes through
    process_s, out = time.perf_counter() - t, run.stdout
    print(out, end="", flush=True)
    if run.returncode:
        raise SystemExit(f"[bench] {label}: `govlake gold build` failed (exit {run.returncode})")
    done = re.findall(r"基础库与画像构建完成，用时 ([0-9.]+)s", out)
    if "（增量）" not in out or not done:
        raise SystemExit(f"[bench] {label}: `govlake gold build` did not run an incremental build")
    if "由常驻构建服务执行" not in out:
        raise SystemExit(f"[bench] {label}: `govlake gold build` did not run in the build service")
    return float(done[-1]), round(process_s, 1)


def service_jvm_peak_mb(env: dict) -> int | None:
    """The build service's Spark JVM's peak resident memory (the service's child process)."""
    try:
        pid = (Path(env["GOVLAKE_RUN"]) / "gold-service.pid").read_text().strip()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return max((scratch.peak_rss_mb(c) for c in children), default=None)
    except (OSError, KeyError, ValueError):
        return None


def scheduled_incremental(s, env: dict, day: dt.date, seed: int, picked: list) -> dict:
    """Step 4: the gold build service started afresh (`make up` starts it), then more 1 % deliveries,
    a day apart, each ingested and built as the gold DAG does. The first build runs in the service's
    cold JVM (`scheduled_*`, as a build without the service would), the last in a JVM the builds
    before it have warmed (`service_*`, the service's steady state)."""
    service = ROOT / "infra" / "spark" / "gold-service.sh"
    subprocess.run([str(service), "start"], env=env, check=True)
    builds = []
    try:
        for i, people in enumerate(picked):
            rows = one_percent_delivery(s, day + dt.timedelta(days=i), seed + i, people)
            print(f"[bench] build {i + 1} of {len(picked)} in the build service: {rows} more employment "
                  f"registrations on {day + dt.timedelta(days=i)}, `govlake gold build` ...", flush=True)
            builds.append((rows, *scheduled_build(env, f"build {i + 1}")))
        peak = service_jvm_peak_mb(env)
    finally:
        subprocess.run([str(service), "stop"], env=env, check=False)
    out = {}
    for key, (rows, build_s, process_s) in (("scheduled", builds[0]), ("service", builds[-1])):
        out.update({f"{key}_delivery_rows": rows, f"{key}_incremental_build_s": build_s,
                    f"{key}_incremental_process_s": process_s})
    return {**out, "service_builds_s": [b[1] for b in builds], "service_jvm_peak_rss_mb": peak}


def lookups(s, ids: list[str], subject: str) -> list[float]:
    from govlake import trino_catalog
    from govlake.portrait_cli import lookup
    conn = trino_catalog.connect(s)
    lookup(conn, subject, ids[0])  # warm-up: plan caches, metadata
    out = []
    for key in ids:
        t = time.perf_counter()
        tags, _ = lookup(conn, subject, key)
        out.append(time.perf_counter() - t)
        assert tags is not None, key
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=str(ROOT / ".govlake" / "bench-ingest"), help="scratch instance with a lake")
    ap.add_argument("--driver-memory", default="8g")
    ap.add_argument("--lookups", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20261124)
    args = ap.parse_args()
    inst = Path(args.dir)
    if not (inst / "lake" / "silver").is_dir():
        raise SystemExit(f"[bench] no lake in {inst}: run bench/ingest_province.py --keep first")
    scratch.use_instance(inst, args.driver_memory)
    from govlake import catalogue, goldspec, lake
    from govlake.config import resolve
    from govlake.spark import JVM_OPTIONS, get_spark
    from jobs import gold, ingest
    s = resolve()
    cat = catalogue.load()
    spark = get_spark(s, app="bench-gold")
    try:
        print("[bench] full build ...", flush=True)
        t, cpu = time.perf_counter(), scratch.jvm_cpu_s(spark)
        full = gold.run(spark, s, cat, full=True)
        full_s, full_cpu = time.perf_counter() - t, scratch.cpu_since(spark, cpu)
        persons = lake.read(spark, lake.path(s, "gold", "dim_person")).count()
        entities = lake.read(spark, lake.path(s, "gold", "dim_legal_entity")).count()
        ledger = lake.read(spark, lake.path(s, "ops", "batch_ledger"))
        day = dt.date.fromisoformat(str(ledger.agg({"data_date": "max"}).first()[0])) + dt.timedelta(days=1)
        n = one_percent_delivery(s, day, args.seed, pick(spark, s, args.seed))
        print(f"[bench] 1 % delivery: {n} employment registrations on {day}", flush=True)
        t = time.perf_counter()
        ingest.run_in(spark, s, cat, [cat.resource("renshe.employment")])
        ingest_s = time.perf_counter() - t
        t, cpu = time.perf_counter(), scratch.jvm_cpu_s(spark)
        inc = gold.run(spark, s, cat)
        inc_s, inc_cpu = time.perf_counter() - t, scratch.cpu_since(spark, cpu)
        sample_p = [r.person_id for r in lake.read(spark, lake.path(s, "portrait", "person_tags"))
                    .sample(fraction=min(1.0, 3 * args.lookups / persons), seed=args.seed).limit(args.lookups).collect()]
        sample_e = [r.entity_id for r in lake.read(spark, lake.path(s, "portrait", "entity_tags"))
                    .sample(fraction=min(1.0, 3 * args.lookups / max(entities, 1)), seed=args.seed)
                    .limit(args.lookups // 2).collect()]
        jvm_mb = scratch.jvm_peak_mb(spark)
        picked = [pick(spark, s, args.seed + i) for i in (1, 2, 3)]  # for step 4, delivered after this JVM stops
    finally:
        spark.stop()
    env = {**os.environ, **s.env()}
    trino = ROOT / "infra" / "trino" / "trino.sh"
    subprocess.run([str(trino), "start"], env=env, check=True)
    try:
        subprocess.run([CLI, "lake", "register"], env=env, check=True)
        lp = lookups(s, sample_p, "person")
        le = lookups(s, sample_e, "entity")
    finally:
        subprocess.run([str(trino), "stop"], env=env, check=False)
    cold = scheduled_incremental(s, env, day + dt.timedelta(days=1), args.seed + 1, picked)
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"), "persons": persons, "entities": entities,
        "tags": {k: len(v.tags) for k, v in goldspec.load(cat).tagsets.items()},
        "full_build_s": round(full_s, 1), "full_phases_s": full.get("seconds"),
        "full_jvm_cpu_s": full_cpu,
        "delivery_rows": n, "delivery_ingest_s": round(ingest_s, 1), "incremental_build_s": round(inc_s, 1),
        "incremental_phases_s": inc.get("seconds"),
        "incremental_jvm_cpu_s": inc_cpu, "touched": inc.get("touched"), "named": inc.get("named"),
        "models_rebuilt": inc.get("models"), "marts_rebuilt": inc.get("marts"),
        "incremental_ratio": round(inc_s / full_s, 3),
        **cold, "scheduled_incremental_ratio": round(cold["scheduled_incremental_build_s"] / full_s, 3),
        "service_incremental_ratio": round(cold["service_incremental_build_s"] / full_s, 3),
        "lookup_person_p50_s": round(scratch.pct(lp, 0.5), 3), "lookup_person_p95_s": round(scratch.pct(lp, 0.95), 3),
        "lookup_entity_p50_s": round(scratch.pct(le, 0.5), 3), "lookup_entity_p95_s": round(scratch.pct(le, 0.95), 3),
        "lookups": len(lp) + len(le), "driver_memory": args.driver_memory, "jvm_options": JVM_OPTIONS,
        "spark_jvm_peak_rss_mb": jvm_mb,
        "cores": os.cpu_count(), "machine": f"{platform.machine()} {platform.python_version()}"}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"goal: incremental <= 10 % of full -> {'met' if result['incremental_ratio'] <= 0.10 else 'NOT met'} "
          f"(as scheduled: {result['scheduled_incremental_ratio']:.1%} in a build service just started, "
          f"{result['service_incremental_ratio']:.1%} in its third build); "
          f"lookup p95 <= 1 s -> {'met' if max(result['lookup_person_p95_s'], result['lookup_entity_p95_s']) <= 1 else 'NOT met'}")
    with (ROOT / "bench" / "results" / "gold_province.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

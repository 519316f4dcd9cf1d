"""Benchmark: every dashboard chart's query on the sample province, through Trino and through DuckDB.

    .govlake/venv/project/bin/python bench/dashboards_province.py     # after bench/gold_province.py

On the lake the province benchmarks left in their scratch instance (1 million persons by default):

1. starts Trino and Superset for that instance and imports dashboards/ (as `make up` does);
2. asks Superset for the SQL each chart of each dashboard runs (POST /api/v1/chart/data with the
   chart's query context and result_type "query": the exact statement the dashboard sends);
3. runs each statement through Trino (goal: p95 <= 1 s) and through DuckDB reading the same Delta
   files (delta-rs lists the table's live files, DuckDB scans them), after one warm-up each;
4. prints and appends to bench/results/dashboards_province.jsonl: per-engine p50/p95/max over all
   runs, the ratio Trino/DuckDB of the per-chart medians, and each chart's figures.

DuckDB reads a table only if it has no deletion vectors (delta-rs does not read them yet): the
portrait tables an incremental build deletes from are measured in Trino only, and listed as such.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import scratch

ROOT = Path(__file__).resolve().parents[1]


def chart_queries(src: Path) -> list[dict]:
    """[{dashboard, chart, sql}] for every chart, as Superset compiles it for Trino."""
    sys.path.insert(0, str(ROOT / "infra" / "superset"))
    import api_check
    api = api_check.Api()
    dashboards, charts = api_check.expected(src)
    owner = {}
    for d in dashboards:
        for v in d["position"].values():
            if isinstance(v, dict) and v.get("type") == "CHART":
                owner[v["meta"]["uuid"]] = d["dashboard_title"]
    out = []
    for c in charts:
        found = api.find("chart", c["uuid"])
        chart = api.call("GET", f"/api/v1/chart/{found['id']}")["result"]
        qc = json.loads(chart["query_context"])
        qc["result_type"], qc["force"] = "query", True
        res = api.call("POST", "/api/v1/chart/data", qc)["result"]
        for r in res:
            sql = r["query"].strip().rstrip(";").strip()  # the client libraries take one statement, no terminator
            out.append({"dashboard": owner.get(c["uuid"], "?"), "chart": c["slice_name"], "sql": sql})
    return out


def duckdb_lake(lake: Path):
    """DuckDB with every lake table it can read as lake.<schema>.<table> views; (connection, skipped)."""
    import duckdb
    from deltalake import DeltaTable
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS lake")
    skipped = []
    for schema in ("mart", "portrait", "gold", "silver"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS lake.{schema}")
        for log in sorted((lake / schema).glob("*/_delta_log")):
            t = DeltaTable(str(log.parent))
            if "deletionVectors" in (t.protocol().reader_features or []):
                skipped.append(f"{schema}.{log.parent.name}")
                continue
            files = [str(log.parent / f) if not f.startswith("/") and "://" not in f else f for f in t.file_uris()]
            listing = ", ".join("'" + f.replace("file://", "") + "'" for f in files)
            con.execute(f"CREATE VIEW lake.{schema}.{log.parent.name} AS SELECT * FROM read_parquet([{listing}])")
    return con, skipped


def timed(run, sql: str, runs: int) -> tuple[list[float], int]:
    rows = len(run(sql))  # warm-up: plans, metadata, file listings
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        run(sql)
        out.append(time.perf_counter() - t)
    return out, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=str(ROOT / ".govlake" / "bench-ingest"), help="scratch instance with a lake")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per chart and engine (after one warm-up)")
    args = ap.parse_args()
    inst = Path(args.dir)
    if not (inst / "lake" / "mart").is_dir():
        raise SystemExit(f"[bench] no marts in {inst}: run bench/gold_province.py first")
    scratch.use_instance(inst, "2g")
    from govlake import trino_catalog
    from govlake.config import resolve
    s = resolve()
    env = {**os.environ, **s.env()}
    os.environ.update(env)
    gl = str(ROOT / ".govlake/venv/project/bin/govlake")
    trino, superset = str(ROOT / "infra/trino/trino.sh"), str(ROOT / "infra/superset/superset.sh")
    subprocess.run([trino, "start"], env=env, check=True)
    try:
        subprocess.run([gl, "lake", "register"], env=env, check=True)
        for step in ("init", "start", "import"):
            subprocess.run([superset, step], env=env, check=True)
        print("[bench] asking Superset for each chart's SQL ...", flush=True)
        queries = chart_queries(ROOT / "dashboards")
        conn = trino_catalog.connect(s)

        def on_trino(sql):
            cur = conn.cursor()
            cur.execute(sql)
            return cur.fetchall()
        con, skipped = duckdb_lake(Path(s.lake))
        charts = []
        for q in queries:
            t_times, t_rows = timed(on_trino, q["sql"], args.runs)
            row = {"dashboard": q["dashboard"], "chart": q["chart"], "trino_median_s": round(statistics.median(t_times), 3),
                   "trino_max_s": round(max(t_times), 3), "rows": t_rows, "_trino": t_times}
            try:
                d_times, d_rows = timed(lambda sql: con.execute(sql).fetchall(), q["sql"], args.runs)
                row |= {"duckdb_median_s": round(statistics.median(d_times), 3), "duckdb_rows": d_rows,
                        "_duckdb": d_times}
            except Exception as exc:  # noqa: BLE001 - reported per chart, the run goes on
                row["duckdb_error"] = str(exc).splitlines()[0][:200]
            charts.append(row)
            print(f"[bench] {q['dashboard']} / {q['chart']}: Trino {row['trino_median_s']}s"
                  f"{'' if 'duckdb_median_s' not in row else ', DuckDB %ss' % row['duckdb_median_s']}"
                  f"{'' if 'duckdb_error' not in row else ', DuckDB: ' + row['duckdb_error']}", flush=True)
    finally:
        subprocess.run([superset, "stop"], env=env, check=False)
        subprocess.run([trino, "stop"], env=env, check=False)
    trino_all = [x for c in charts for x in c.pop("_trino")]
    both = [c for c in charts if "_duckdb" in c]
    duck_all = [x for c in both for x in c.pop("_duckdb")]
    ratios = [c["trino_median_s"] / max(c["duckdb_median_s"], 1e-4) for c in both]
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"), "instance": str(inst), "charts": len(charts),
        "runs_per_chart": args.runs, "trino_p50_s": round(scratch.pct(trino_all, 0.5), 3),
        "trino_p95_s": round(scratch.pct(trino_all, 0.95), 3), "trino_max_s": round(max(trino_all), 3),
        "duckdb_charts": len(both), "duckdb_p50_s": round(scratch.pct(duck_all, 0.5), 3) if duck_all else None,
        "duckdb_p95_s": round(scratch.pct(duck_all, 0.95), 3) if duck_all else None,
        "ratio_trino_over_duckdb_median": round(statistics.median(ratios), 2) if ratios else None,
        "rows_disagree": [c["chart"] for c in both if c["rows"] != c["duckdb_rows"]],
        "duckdb_skipped_tables": skipped, "cores": os.cpu_count(),
        "machine": f"{platform.machine()} {platform.python_version()}", "per_chart": charts}
    print(json.dumps({k: v for k, v in result.items() if k != "per_chart"}, ensure_ascii=False, indent=2))
    print(f"goal: Trino p95 <= 1 s -> {'met' if result['trino_p95_s'] <= 1 else 'NOT met'}")
    with (ROOT / "bench" / "results" / "dashboards_province.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

"""Benchmark: generate the sample province and record wall time, rows per second and peak memory.

    .govlake/venv/project/bin/python bench/generate_province.py --persons 1000000 --days 3

Prints the figures and appends them to bench/results/generate_province.jsonl. Goal (issue 3): the
1-million-person province in <= 10 minutes and <= 4 GB on a 2-core machine.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from govlake.province.generate import generate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--out", help="where to write (default: a temporary folder, removed afterwards)")
    args = ap.parse_args()
    base = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="govlake-bench-"))
    t0 = time.perf_counter()
    summary = generate(base / "landing", persons=args.persons, seed=args.seed, days=args.days, truth=base / "truth")
    wall = time.perf_counter() - t0
    rows = sum(d["rows"] for r in summary["resources"].values() for d in r["deliveries"])
    size = sum(p.stat().st_size for p in (base / "landing").rglob("*") if p.is_file())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"date": dt.datetime.now().isoformat(timespec="seconds"), "persons": args.persons, "days": args.days,
              "resources": len(summary["resources"]), "rows": rows, "bytes": size, "wall_s": round(wall, 1),
              "rows_per_s": round(rows / wall), "peak_rss_mb": round(peak_mb), "cores_used": 1,
              "machine": f"{platform.machine()} {platform.python_version()}"}
    print(json.dumps(result, ensure_ascii=False))
    print(f"goal: <= 600 s and <= 4096 MB -> {'met' if wall <= 600 and peak_mb <= 4096 else 'NOT met'}")
    with (Path(__file__).parent / "results" / "generate_province.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")
    if not args.out:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()

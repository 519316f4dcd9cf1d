"""Per-batch quality scorecard (数据质量记分卡) from the standardised rows, in one Spark pass.

Dimensions, each a share in [0, 1] over the batch's non-duplicate rows:
- completeness: mandatory cells present (1 - missing cells / checked cells);
- validity: rows passing every format, code-table, region and range check of their items;
- consistency: rows passing the resource's cross-field rules and cross-resource references;
- uniqueness: rows that are not a repeat of an earlier row of the batch (all rows);
- timeliness: 1 when delivered by the end of the day after the data date, then 1/7 less per day late.
`score` is their mean. Every row check is also recorded as a quality result (suite `<resource>.rows`).
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

DIMENSIONS = ("completeness", "validity", "consistency", "uniqueness", "timeliness")
SCHEMA = ("_batch_id string, resource string, department string, data_date string, delivered_at string, "
          "rows long, accepted long, quarantined long, duplicates long, noted long, completeness double, "
          "validity double, consistency double, uniqueness double, timeliness double, score double, "
          "scored_at timestamp")


def timeliness(data_date: str | None, delivered_at: str | None) -> float:
    if not data_date or not delivered_at:
        return 1.0
    late = (dt.date.fromisoformat(delivered_at[:10]) - dt.date.fromisoformat(data_date[:10])).days - 1
    return 1.0 if late <= 0 else max(0.0, round(1 - late / 7, 4))


def empty(batch_id: str) -> dict:
    return {"_batch_id": batch_id, "rows": 0, "accepted": 0, "quarantined": 0, "duplicates": 0, "noted": 0,
            "failures": {}, **{d: 0.0 for d in DIMENSIONS}, "score": 0.0}


def batch_scores(std, res, checks, batches: list[dict]) -> list[dict]:
    nd = ~F.col("_duplicate")

    def fails(c):
        return F.sum(F.when(nd & ~F.col(f"_ok_{c.name}"), 1).otherwise(0)).alias(f"f__{c.name}")

    def any_fail(dim):
        cols = [~F.col(f"_ok_{c.name}") for c in checks if c.dimension == dim]
        if not cols:
            return F.lit(0).alias(f"any__{dim}")
        cond = cols[0]
        for x in cols[1:]:
            cond = cond | x
        return F.sum(F.when(nd & cond, 1).otherwise(0)).alias(f"any__{dim}")
    agg = std.groupBy("_batch_id").agg(
        F.count("*").alias("rows"), F.sum(F.col("_accepted").cast("long")).alias("accepted"),
        F.sum(F.col("_duplicate").cast("long")).alias("duplicates"),
        F.sum(F.when(F.col("_accepted") & (F.size("_notes") > 0), 1).otherwise(0)).alias("noted"),
        *[fails(c) for c in checks], any_fail("validity"), any_fail("consistency")).collect()
    meta = {m["batch_id"]: m for m in batches}
    n_complete = sum(1 for c in checks if c.dimension == "completeness")
    out = []
    for r in agg:
        m = meta.get(r["_batch_id"], {})
        rows, dup = r["rows"], r["duplicates"]
        base = max(rows - dup, 1)
        missing = sum(r[f"f__{c.name}"] for c in checks if c.dimension == "completeness")
        card = {"_batch_id": r["_batch_id"], "rows": rows, "accepted": r["accepted"], "duplicates": dup,
                "quarantined": rows - r["accepted"] - dup, "noted": r["noted"],
                "failures": {c.name: r[f"f__{c.name}"] for c in checks},
                "completeness": round(1 - missing / (base * n_complete), 4) if n_complete else 1.0,
                "validity": round(1 - r["any__validity"] / base, 4),
                "consistency": round(1 - r["any__consistency"] / base, 4),
                "uniqueness": round((rows - dup) / rows, 4) if rows else 1.0,
                "timeliness": timeliness(m.get("data_date"), m.get("delivered_at"))}
        card["score"] = round(sum(card[d] for d in DIMENSIONS) / len(DIMENSIONS), 4)
        out.append(card)
    return out


def check_rows(card: dict, checks, resource: str) -> list[dict]:
    """One quality result per row check of the batch (evaluated as Spark SQL in jobs/standardise.py)."""
    base = max(card["rows"] - card["duplicates"], 0)
    out = []
    for c in checks:
        bad = card["failures"].get(c.name, 0)
        out.append({"suite": f"{resource}.rows", "expectation": c.name, "column": c.column, "severity": c.severity,
                    "success": bad == 0, "element_count": base, "unexpected_count": bad,
                    "unexpected_percent": round(100 * bad / base, 4) if base else 0.0, "observed": c.message})
    return out


def to_frame(spark, cards: list[dict]):
    keys = [f.split()[0] for f in SCHEMA.split(", ")]
    return spark.createDataFrame([{k: c.get(k) for k in keys} for c in cards], SCHEMA)

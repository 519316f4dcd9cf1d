"""Lake maintenance: rewrite the tables incremental builds edit in place.

An incremental build replaces some subjects' rows of the golden and portrait tables with a MERGE:
the old rows stay in their files, marked deleted by a deletion vector, and the new rows land in a
small file of their own, outside the key order the full build wrote (jobs/gold.replace_subjects).
Build after build, every read (the next build's, a Trino lookup) pays for more deletion vectors
and more small unsorted files. `run` rewrites a table in the full build's layout (range-partitioned
and sorted by the subject; long tables partitioned by attribute) once it has been merged into
`every` times since its last rewrite. Same rows, one commit; a rewrite is a new version, so "as
of" reads of older versions keep working until Delta's retention removes their files.

The gold DAG runs it after each build (the DAG allows one run at a time, so it never races a build).
"""
from __future__ import annotations

import time

from pyspark.sql import SparkSession

from govlake import lake
from govlake.config import Settings
from govlake.goldspec import REWRITE_EVERY, Gold

EDITS = ("MERGE", "DELETE", "UPDATE")


def edits_since_rewrite(spark: SparkSession, location: str, every: int = REWRITE_EVERY) -> int:
    """How many in-place edits (MERGE, DELETE, UPDATE) the table took since it was last written whole."""
    from delta.tables import DeltaTable
    n = 0
    # A build makes at most two commits per table: looking back this far finds `every` edits if any.
    for r in DeltaTable.forPath(spark, location).history(3 * every + 3).select("operation", "operationParameters") \
            .orderBy("version", ascending=False).collect():
        if r.operation in EDITS:
            n += 1
        elif r.operation in ("WRITE", "CREATE TABLE AS SELECT", "REPLACE TABLE AS SELECT") and \
                (r.operationParameters or {}).get("mode") == "Overwrite":
            break
    return n


def run(spark: SparkSession, s: Settings, gold: Gold, every: int = REWRITE_EVERY, say=print) -> list[str]:
    """Rewrite the tables edited in place at least `every` times since their last rewrite.
    Returns the tables rewritten ("schema.table")."""
    from jobs.gold import replace_subjects
    if every < 1:
        raise ValueError(f"every 须为正整数，而不是 {every}")
    done = []
    for t in gold.edited_in_place():
        loc = lake.path(s, t.schema, t.table)
        if not lake.is_table(spark, loc):
            continue
        n = edits_since_rewrite(spark, loc, every)
        if n < every:
            continue
        started = time.perf_counter()
        df = lake.read(spark, loc)
        rows = df.count()
        lake.retry_conflicts(replace_subjects)(df, loc, t.key, None, long=t.long)
        after = lake.read(spark, loc).count()
        if after != rows:  # cannot happen short of a bug: say so loudly rather than go on
            raise RuntimeError(f"{t.schema}.{t.table}: 整理前 {rows} 行，整理后 {after} 行")
        done.append(f"{t.schema}.{t.table}")
        say(f"[govlake] {t.schema}.{t.table}: 自上次整理以来就地修改 {n} 次，已按主键重写 {rows} 行"
            f"（{time.perf_counter() - started:.1f}s）")
    if not done:
        say(f"[govlake] 各表自上次整理以来的就地修改均少于 {every} 次，无需整理")
    return done


def main(every: int = REWRITE_EVERY) -> int:
    from govlake import catalogue, goldspec
    from govlake.config import resolve
    from govlake.spark import get_spark
    s = resolve()
    cat = catalogue.load()
    spark = get_spark(s, app="govlake-maintain")
    try:
        run(spark, s, goldspec.load(cat), every)
    finally:
        spark.stop()
    return 0

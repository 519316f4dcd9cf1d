"""Portraits: the tag factory (lakehouse/portrait/*.yaml).

Each tag set declares `bases` (SQL over gold returning one row per subject, keyed by the set's
`key`; the first base is the universe) and tags (an SQL expression over the bases' columns, each
base referred to by its name). One Spark query per tag set computes every tag of every subject into
one wide row (portrait.<table>: the key plus one column per tag, commented with its Chinese name);
portrait.tag_dictionary describes every tag.

Incremental: with the subjects a delivery touched, every base is semi-joined to them (Spark pushes
that below the aggregations), and only their rows are replaced. Of a touched subject that already
has a row, only the tags whose inputs the build changed are recomputed (`stale`); the others keep
their stored values, and a base no recomputed tag reads is not read at all.
"""
from __future__ import annotations

import dataclasses
import re

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from govlake import lake
from govlake.config import Settings
from govlake.goldspec import REF, VALUE_TYPES, Gold, Tag, TagSet
from jobs.gold import may_read, replace_subjects, sql_of

SENSITIVITY = {1: "公开", 2: "内部", 3: "敏感", 4: "高度敏感"}
SUBJECT_ZH = {"person": "自然人", "entity": "法人"}


def query(ts: TagSet, params: dict, touched: str | None = None) -> str:
    """The one SELECT computing every tag of the set. `touched`: a view of subject_id to restrict to."""
    names = list(ts.bases)
    first = names[0]
    parts = []
    for i, name in enumerate(names):
        body = sql_of(ts.bases[name], **params)
        if touched:
            # A filter, not a semi-join: Spark pushes an IN-subquery filter down through a base's outer
            # joins to the subject's own scan, and only then turns it into a (broadcast) semi-join. A
            # semi-join written around the base stays on top of it, so every join inside ran for all
            # 1 M subjects (docs/decisions.md, 2026-12-07).
            body = f"SELECT b.* FROM ({body}) b WHERE b.`{ts.key}` IN (SELECT subject_id FROM {touched})"
        parts.append(f"({body}) {name}" if i == 0 else
                     f"LEFT JOIN ({body}) {name} ON {name}.`{ts.key}` = {first}.`{ts.key}`")
    cols = [f"{first}.`{ts.key}` AS `{ts.key}`"]
    cols += [f"CAST(({sql_of(t.sql, **params)}) AS {VALUE_TYPES[t.type]}) AS `{t.code}`" for t in ts.tags]
    return "SELECT " + ",\n  ".join(cols) + "\nFROM " + "\n".join(parts)


PASSTHROUGH = re.compile(r"^\s*SELECT\s+\*\s+FROM\s+(gold|silver)\.(\w+)\s*$", re.IGNORECASE)
TRACKED = ("gold", "silver")  # the schemas whose every change an incremental build reports
COLUMN = re.compile(r"\b([A-Za-z_]\w*)\.`?([A-Za-z_]\w*)")


def columns_read(ts: TagSet, tag: Tag) -> set[tuple[str, str]]:
    """(base, column) of each base column a tag reads."""
    return {(b, c) for b, c in COLUMN.findall(tag.sql) if b in ts.bases}


def stale(ts: TagSet, changes: dict[str, set[str] | None]) -> list[Tag]:
    """The tags whose values may change with `changes` ({"schema.table": the columns changed, or
    None for any}; a gold or silver table absent did not change). A base is stale when it reads a
    changed column (by name: any identifier of its SQL), a changed table with `*`, or a table outside
    gold and silver; a plain `SELECT * FROM t` base passes t's changed columns through. A tag is stale
    when it reads a stale column of a base; date-relative ones (`${as_of}`, in the tag or its base)
    always are."""
    bases: dict[str, set[str] | None] = {}
    for name, sql in ts.bases.items():
        reads = {f"{a}.{b}" for a, b in REF.findall(sql)}
        hit = [changes[t] for t in reads if t in changes]
        if "${" in sql or any(t.split(".")[0] not in TRACKED for t in reads):
            bases[name] = None
        elif (m := PASSTHROUGH.match(sql)) and hit:
            bases[name] = changes[f"{m[1].lower()}.{m[2]}"]
        elif any(may_read(sql, c) for c in hit):
            bases[name] = None
    out = []
    for t in ts.tags:
        if "${" in t.sql or any(b in bases and (bases[b] is None or c in bases[b]) for b, c in columns_read(ts, t)):
            out.append(t)
    return out


def recompute(spark: SparkSession, ts: TagSet, params: dict, view: str, tags: list[Tag]) -> DataFrame:
    """`tags` of the subjects in `view` (the key and those tags' columns), from the first base and the
    bases they read."""
    used = {b for t in tags for b, _ in columns_read(ts, t)}
    first = next(iter(ts.bases))
    part = dataclasses.replace(ts, bases={n: q for n, q in ts.bases.items() if n == first or n in used},
                               tags=tuple(tags))
    return spark.sql(query(part, params, view))


def dictionary(gold: Gold) -> list[dict]:
    rows = []
    for subject, ts in gold.tagsets.items():
        for n, t in enumerate(ts.tags, 1):
            rows.append({"subject": SUBJECT_ZH[subject], "table": f"portrait.{ts.table}", "seq": n, "code": t.code,
                         "name_zh": t.name_zh, "category": t.category, "value_type": t.type,
                         "sensitivity": t.sensitivity, "sensitivity_zh": SENSITIVITY[t.sensitivity],
                         "definition": t.sql.strip(), "description": t.description})
    return rows


def write_dictionary(spark: SparkSession, s: Settings, gold: Gold) -> None:
    df = spark.createDataFrame(dictionary(gold), "subject string, table string, seq int, code string, "
                               "name_zh string, category string, value_type string, sensitivity int, "
                               "sensitivity_zh string, definition string, description string")
    lake.replace_small(df, lake.path(s, "portrait", "tag_dictionary"))  # written only when a definition changed


def build(spark: SparkSession, s: Settings, gold: Gold, subject: str, params: dict,
          touched: DataFrame | None = None, changes: dict[str, set[str] | None] | None = None
          ) -> tuple[int, set[str] | None]:
    """Full (no `touched`): every subject. Incremental: the `touched` subjects; with `changes` (what
    the build changed, see `stale`), those with a stored row recompute only the stale tags.
    Returns the subjects computed and the columns whose values may have changed (None: any; a
    subject gaining its first row changes every column for a reader that counts rows)."""
    ts = gold.tagsets[subject]
    loc = lake.path(s, "portrait", ts.table)
    view = None
    if touched is not None:  # one view per subject: the two tag sets may be built at once
        view = f"__touched_{subject}"
        # Hinted for broadcast (`few`): every base is semi-joined to the view.
        lake.few(touched.select("subject_id").distinct().localCheckpoint()).createOrReplaceTempView(view)
    df, columns, update = None, None, None
    todo = stale(ts, changes) if touched is not None and changes is not None else ts.tags
    if len(todo) < len(ts.tags) and lake.is_table(spark, loc):
        # A subject with a stored row gets the stale tags only, in place (the MERGE keeps its other
        # columns); one without gets every tag.
        stored = lake.read(spark, loc).select(F.col(ts.key).alias("subject_id")) \
            .join(lake.few(spark.table(view)), "subject_id", "left_semi").localCheckpoint()
        lake.few(stored).createOrReplaceTempView(f"{view}_kept")
        df = recompute(spark, ts, params, f"{view}_kept", list(todo))
        new_ones = spark.table(view).join(stored, "subject_id", "left_anti").localCheckpoint()
        update = columns = {t.code for t in todo} | {"_computed_at", "_as_of"}
        if new_ones.count():  # no stored row: every tag
            lake.few(new_ones).createOrReplaceTempView(f"{view}_new")
            df = df.unionByName(spark.sql(query(ts, params, f"{view}_new")), allowMissingColumns=True)
            columns = None
        print(f"[govlake] portrait.{ts.table}: 重算 {len(todo)} 个标签（其余 {len(ts.tags) - len(todo)} 个输入未变，沿用）",
              flush=True)
    if df is None:
        df = spark.sql(query(ts, params, view))
    # `_as_of`: the data date the date-relative tags (ages, "in the last 30 days") were computed for.
    # An incremental build moves it only for the subjects it recomputes (docs/decisions.md).
    df = df.withColumn("_computed_at", F.current_timestamp()).withColumn("_as_of", F.expr(params["as_of"]))
    replace_subjects(df, loc, ts.key, touched, update=update)
    return (spark.read.format("delta").load(loc).count() if touched is None else touched.count()), columns

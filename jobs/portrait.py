"""Portraits: the tag factory (lakehouse/portrait/*.yaml).

Each tag set declares `bases` (SQL over gold returning one row per subject, keyed by the set's
`key`; the first base is the universe) and tags (an SQL expression over the bases' columns, each
base referred to by its name). One Spark query per tag set computes every tag of every subject into
one wide row (portrait.<table>: the key plus one column per tag, commented with its Chinese name);
portrait.tag_dictionary describes every tag.

Incremental: with the subjects a delivery touched, every base is semi-joined to them (Spark pushes
that below the aggregations), and only their rows are replaced.
"""
from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from govlake import lake
from govlake.config import Settings
from govlake.goldspec import VALUE_TYPES, Gold, TagSet
from jobs.gold import replace_subjects, sql_of

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
            body = (f"SELECT b.* FROM ({body}) b LEFT SEMI JOIN {touched} t ON b.`{ts.key}` = t.subject_id")
        parts.append(f"({body}) {name}" if i == 0 else
                     f"LEFT JOIN ({body}) {name} ON {name}.`{ts.key}` = {first}.`{ts.key}`")
    cols = [f"{first}.`{ts.key}` AS `{ts.key}`"]
    cols += [f"CAST(({sql_of(t.sql, **params)}) AS {VALUE_TYPES[t.type]}) AS `{t.code}`" for t in ts.tags]
    return "SELECT " + ",\n  ".join(cols) + "\nFROM " + "\n".join(parts)


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
    loc = lake.path(s, "portrait", "tag_dictionary")
    lake.annotate(df, loc).write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(loc)


def build(spark: SparkSession, s: Settings, gold: Gold, subject: str, params: dict,
          touched: DataFrame | None = None) -> int:
    ts = gold.tagsets[subject]
    view = None
    if touched is not None:  # one view per subject: the two tag sets may be built at once
        view = f"__touched_{subject}"
        touched.select("subject_id").distinct().createOrReplaceTempView(view)
    # `_as_of`: the data date the date-relative tags (ages, "in the last 30 days") were computed for.
    # An incremental build moves it only for the subjects it recomputes (docs/decisions.md).
    df = spark.sql(query(ts, params, view)).withColumn("_computed_at", F.current_timestamp()) \
        .withColumn("_as_of", F.expr(params["as_of"]))
    loc = lake.path(s, "portrait", ts.table)
    replace_subjects(df, loc, ts.key, touched)
    return spark.read.format("delta").load(loc).count() if touched is None else touched.count()

"""Gold: the base databases (人口库, 法人库, 电子证照库, 信用库, 事项/办件库) from silver.

* Golden dimensions (lakehouse/gold/dimensions.yaml): every attribute's candidate values from its
  sources, one timeline per subject and attribute (Spark SQL windows, no UDFs): at each data date
  the authoritative department's newest value, else the next source's. Written as
  gold.<table> (current, wide), gold.<table>_history (long: value, source department, resource,
  batch, valid_from, valid_to) and gold.<table>_conflict (sources disagreeing with the golden value).
* Models (lakehouse/gold/models.yaml): SQL over `silver.*` and `gold.*`, in order.
* Marts (lakehouse/mart/marts.yaml): what the dashboards read, SQL over silver, gold, portrait, ops
  and `catalogue.resource`, rebuilt whole after the portraits (small aggregates), into lake.mart.

Incremental: OneID reads only what the new batches brought (jobs/oneid.py). The dimensions
recompute the subjects the new batches name (and the entities whose legacy codes OneID linked anew)
and replace their rows. A model is rebuilt
only when one of the resources it reads has new batches; the portraits recompute the subjects named
and one hop around them (an entity's legal representative, a person's entities), along the relations
through which a portrait reads what changed (`reads_through`).
"""
from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from functools import reduce
from typing import NamedTuple

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from govlake import ids, lake, uscc
from govlake.catalogue import Catalogue
from govlake.config import Settings
from govlake.goldspec import HISTORY_COLUMNS, REF, SOURCES, VALUE_TYPES, Dimension, Gold, Model

DERIVED = "推导"
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STAR = re.compile(r"\bSELECT\s+\*|\w\.\*", re.IGNORECASE)


def may_read(sql: str, columns: set[str] | None) -> bool:
    """Whether `sql` may read one of `columns` (None: any column) of the tables it names: any
    identifier of it by that name, or a `*`. Conservative: a name read from another table counts."""
    return columns is None or bool(STAR.search(sql)) or bool(set(WORD.findall(sql)) & columns)


def _union(frames: list[DataFrame]) -> DataFrame | None:
    return reduce(lambda a, b: a.unionByName(b), frames) if frames else None


def valid_key_sql(subject: str, col: str) -> str:
    return ids.check_ok_sql(col) if subject == "person" else uscc.check_ok_sql(col)


def source_frame(spark: SparkSession, s: Settings, cat: Catalogue, resource: str, history: bool = True):
    """A resource's silver rows; with history (and the resource keeps it), every version."""
    from jobs.oneid import read
    res = cat.resources[resource]
    if history and res.history:
        df = read(spark, lake.path(s, "silver", f"{res.silver_table}_history"))
        if df is not None:
            return df
    return read(spark, lake.path(s, "silver", res.silver_table))


def resolve_entity(df: DataFrame, col: str, ekey: DataFrame | None) -> DataFrame:
    """Replace a legacy organisation code in `col` by the USCC OneID linked it to."""
    if ekey is None:
        return df
    k = F.broadcast(ekey.select(F.col("code").alias("__code"), F.col("entity_id").alias("__eid")))
    return (df.join(k, df[col] == k["__code"], "left")
            .withColumn(col, F.coalesce(F.col("__eid"), F.col(col))).drop("__code", "__eid"))


def universe(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold, subject: str) -> DataFrame:
    """Every subject with a valid key in silver."""
    from jobs import oneid
    if subject == "person":
        return oneid.known_persons(spark, s, cat, gold).select(F.col("person_id").alias("subject_id")).distinct()
    return oneid.entity_registry(spark, s, cat, gold).select(F.col("entity_id").alias("subject_id")).distinct()


def numbered(dim: Dimension):
    """(src number, attribute, source) for every source of every attribute in spec order; the
    source is None for an attribute's derivation, numbered after its sources."""
    n = 0
    for attr in dim.attributes:
        for src in attr.sources:
            n += 1
            yield n, attr, src
        if attr.derive:
            n += 1
            yield n, attr, None


def versions(spark: SparkSession, s: Settings, cat: Catalogue, dim: Dimension, subjects: DataFrame,
             ekey: DataFrame | None, attributes: set[str] | None = None) -> DataFrame:
    """Every candidate value: subject_id, attribute, value (text), rank (0 = authority), src,
    department, resource, _batch_id, valid_from. Each source table is read once for all the
    attributes it feeds (per key column), its rows narrowed to `subjects` before they fan out.
    `attributes`: only these (default: all); a source table feeding none of them is not read."""
    keep = lake.few(subjects.select("subject_id"))
    frames, by_source = [], {}
    for src_no, attr, src in numbered(dim):
        if attributes is not None and attr.name not in attributes:
            continue
        if src is None:
            d = subjects.select("subject_id", F.expr(attr.derive.replace(dim.key, "subject_id")).cast("string")
                                .alias("value"))
            frames.append(d.where("value IS NOT NULL").select(
                "subject_id", F.lit(attr.name).alias("attribute"), "value", F.lit(99).alias("rank"),
                F.lit(src_no).alias("src"), F.lit(DERIVED).alias("department"),
                F.lit(f"{dim.key}推导").alias("resource"), F.lit(None).cast("string").alias("_batch_id"),
                F.lit("1900-01-01").cast("date").alias("valid_from")))
            continue
        order = [attr.authority] + [d for d in dict.fromkeys(x.department for x in attr.sources) if d != attr.authority]
        by_source.setdefault((src.resource, src.key), []).append((src_no, attr, src, order.index(src.department)))
    for (resource, key), feeds in by_source.items():
        df = source_frame(spark, s, cat, resource)
        if df is None:
            continue
        df = df.withColumn("__k", F.col(f"`{key}`"))
        if dim.subject == "entity":
            df = resolve_entity(df, "__k", ekey)
        # The key check keeps no row the join would drop (`subjects` hold valid keys only). Kept: the
        # warm incremental dimensions phase of the 1 M bench took 14.7-19.9 s in five runs with it
        # and 21.0-26.3 s in six without it, though alone, once compiled, it costs nothing; why is
        # not known (docs/decisions.md, 2026-12-07 (2) and (3)).
        df = df.where(valid_key_sql(dim.subject, "__k")).join(keep, df["__k"] == keep["subject_id"], "left_semi")
        cands = []
        for src_no, attr, src, rank in feeds:
            value = F.expr(src.value).cast("string")
            if src.when:
                value = F.when(F.expr(src.when), value)
            cands.append(F.struct(F.lit(attr.name).alias("attribute"), value.alias("value"),
                                  F.lit(rank).alias("rank"), F.lit(src_no).alias("src"),
                                  F.lit(src.department).alias("department")))
        frames.append(df.select(F.col("__k").alias("subject_id"), F.explode(F.array(*cands)).alias("c"),
                                "_batch_id", F.col("_data_date").alias("valid_from"))
                      .where("c.value IS NOT NULL").select(
            "subject_id", "c.attribute", "c.value", "c.rank", "c.src", "c.department",
            F.lit(resource).alias("resource"), "_batch_id", "valid_from"))
    # Materialised: a dozen source plans in one union are slow to optimise again for every use.
    out = _union(frames)
    return None if out is None else out.localCheckpoint()


def timeline(v: DataFrame, ranks: list[int]) -> DataFrame:
    """Golden value per subject, attribute and change date: at each date, the best-ranked source's
    newest value so far. One row per change (value or source department), valid_from / valid_to."""
    # Within a date the source listed first comes last, so it is the one carried (ties go to the
    # listing order); a later date always wins within a rank.
    w = Window.partitionBy("subject_id", "attribute").orderBy("valid_from", F.col("src").desc()) \
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    rec = F.struct("value", "department", "resource", "_batch_id", F.col("valid_from").alias("data_date"))
    carried = [F.last(F.when(F.col("rank") == r, rec), ignorenulls=True).over(w) for r in ranks]
    g = v.withColumn("g", F.coalesce(*carried))
    last_of_day = Window.partitionBy("subject_id", "attribute", "valid_from").orderBy("src")
    g = g.withColumn("_n", F.row_number().over(last_of_day)).where("_n = 1")
    order = Window.partitionBy("subject_id", "attribute").orderBy("valid_from")
    g = g.withColumn("_prev", F.lag(F.struct("g.value", "g.department")).over(order)) \
         .where(F.col("_prev").isNull() | (F.col("_prev") != F.struct("g.value", "g.department")))
    g = g.withColumn("valid_to", F.lead("valid_from").over(order))
    return g.select("subject_id", "attribute", F.col("g.value").alias("value"),
                    F.col("g.department").alias("source_department"), F.col("g.resource").alias("source_resource"),
                    F.col("g._batch_id").alias("_batch_id"), F.col("g.data_date").alias("data_date"),
                    "valid_from", "valid_to", F.col("valid_to").isNull().alias("is_current"))


def conflicts(v: DataFrame, history: DataFrame) -> DataFrame:
    """Each source's newest value that disagrees with the current golden value."""
    newest = Window.partitionBy("subject_id", "attribute", "src").orderBy(F.col("valid_from").desc())
    latest = v.withColumn("_n", F.row_number().over(newest)).where("_n = 1")
    cur = history.where("is_current").select("subject_id", "attribute", F.col("value").alias("golden_value"),
                                            F.col("source_department").alias("golden_department"),
                                            F.col("source_resource").alias("golden_resource"))
    j = latest.join(cur, ["subject_id", "attribute"])
    return j.where("value <> golden_value AND department <> '推导'").select(
        "subject_id", "attribute", "golden_value", "golden_department", F.col("value").alias("other_value"),
        F.col("department").alias("other_department"), F.col("resource").alias("other_resource"), "_batch_id",
        F.col("valid_from").alias("data_date")).dropDuplicates(
        ["subject_id", "attribute", "other_value", "other_resource"])


def _current(history: DataFrame, names: list[str]) -> DataFrame:
    """One row per subject: `<attribute>_v` (the current value) and `<attribute>_d` (its source
    department) for each of `names`, null where the attribute has no current value."""
    return history.where("is_current").groupBy("subject_id").pivot("attribute", names) \
        .agg(F.first("value").alias("v"), F.first("source_department").alias("d"))


def _sources(names: list[str]):
    """SOURCES of the pivoted `names` (from _current): (attribute, department) of each one with a
    current value, in attribute-name order (as `array_sort` orders them)."""
    return F.filter(F.array(*[F.struct(F.lit(a).alias("attribute"), F.col(f"`{a}_d`").alias("department"))
                              for a in sorted(names)]), lambda x: x["department"].isNotNull())


def wide(dim: Dimension, history: DataFrame, subjects: DataFrame) -> DataFrame:
    """The current rows: every attribute's current value, and SOURCES (so that a reader of the
    source departments, such as the portraits' 数据来源部门数, reads the golden row, not the
    history's ten times as many rows)."""
    names = [a.name for a in dim.attributes]
    cols = [F.col("subject_id").alias(dim.key)]
    cols += [F.col(f"`{a.name}_v`").cast(VALUE_TYPES[a.type]).alias(a.name) for a in dim.attributes]
    return subjects.join(_current(history, names), "subject_id", "left").select(*cols, _sources(names).alias(SOURCES))


def patch(dim: Dimension, old: DataFrame, history: DataFrame, names: set[str]) -> DataFrame:
    """Current rows `old` with the attributes `names` taken from `history` (recomputed whole for
    these subjects: an attribute left without a current value becomes null), SOURCES likewise."""
    order = [a.name for a in dim.attributes if a.name in names]
    o = old.select(F.col(f"`{dim.key}`").alias("subject_id"), SOURCES,
                   *[f"`{a.name}`" for a in dim.attributes if a.name not in names])
    cols = [F.col("subject_id").alias(dim.key)]
    for a in dim.attributes:
        cols.append(F.col(f"`{a.name}`") if a.name not in names else
                    F.col(f"`{a.name}_v`").cast(VALUE_TYPES[a.type]).alias(a.name))
    kept = F.filter(F.col(SOURCES), lambda x: ~x["attribute"].isin(order))
    return o.join(_current(history, order), "subject_id", "left") \
        .select(*cols, F.array_sort(F.concat(kept, _sources(order))).alias(SOURCES))


def replace_subjects(df: DataFrame, location: str, key: str, subjects: DataFrame | None,
                     attributes: set[str] | None = None, long: bool = False, update: set[str] | None = None) -> None:
    """Full build: overwrite. Incremental, a wide table (one row per subject): one MERGE puts `df`'s
    rows in place of the touched subjects' rows; with `update`, a stored row takes only those columns
    from `df` and keeps the others (a new row takes them all). Incremental, a long table (`long`: an `attribute`
    column, partitioned by attribute, so that recomputing a few attributes reads only their
    partitions): delete the touched subjects' rows, then append theirs; with `attributes`, a
    subject whose `_all` is false loses only its rows of those attributes. Either way repeatable,
    so a re-run converges."""
    from delta.tables import DeltaTable
    spark = df.sparkSession
    by_key = F.col(f"`{key}`")
    if subjects is None or not lake.is_table(spark, location):
        # Deletion vectors here (only): an incremental build deletes a few scattered subjects, which
        # would otherwise rewrite every file. Trino reads them; Spark stays the only writer.
        # Range-partitioned and sorted by the subject: a lookup of one subject (the portrait command,
        # "as of" questions) reads one file's matching pages, not every file (through Trino on the
        # 1 M-person portraits: p50 0.20 s against 0.87 s).
        order = [F.col("attribute"), by_key] if long else [by_key]
        w = lake.annotate(df.repartitionByRange(*order).sortWithinPartitions(*order), location).write.format("delta")
        (w.partitionBy("attribute") if long else w).mode("overwrite").option("overwriteSchema", "true") \
            .option("delta.enableDeletionVectors", "true").save(location)
        return
    keys = subjects.select(F.col("subject_id").alias("__k"),
                           (F.col("_all") if "_all" in subjects.columns else F.lit(True)).alias("__all")).distinct()
    on = f"t.`{key}` = s.__k"
    table = DeltaTable.forPath(spark, location).alias("t")
    if not long and attributes is None:
        # One row per subject: one MERGE updates a stored row, inserts a new one and deletes the row
        # of a subject left without one, where a delete and an append take two passes and two commits.
        row = F.col(f"`{key}`").isNotNull().alias("__row")
        src = keys.join(df, keys["__k"] == df[f"`{key}`"], "left").select("__k", row, *[f"`{c}`" for c in df.columns])
        values = {f"`{c}`": f"s.`{c}`" for c in df.columns}
        changed = values if update is None else {f"`{c}`": f"s.`{c}`" for c in df.columns if c in update}
        table.merge(src.alias("s"), on).whenMatchedUpdate("s.__row", changed).whenMatchedDelete() \
            .whenNotMatchedInsert("s.__row", values).execute()
        return
    if attributes is not None:  # in the join condition: fewer matched rows than a delete condition (measured)
        names = ", ".join("'" + a.replace("'", "''") + "'" for a in sorted(attributes)) or "NULL"
        # Without a subject recomputed whole, the condition on the target alone prunes partitions.
        whole = "_all" not in subjects.columns or subjects.where("_all").limit(1).count() > 0
        on += f" AND (s.__all OR t.attribute IN ({names}))" if whole else f" AND t.attribute IN ({names})"
    table.merge(lake.few(keys).alias("s"), on).whenMatchedDelete().execute()
    df.sortWithinPartitions(by_key).write.format("delta").mode("append").save(location)


def build_dimension(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold, dim: Dimension,
                    touched: DataFrame | None = None, ekey: DataFrame | None = None,
                    delivered: set[str] = frozenset(), relinked: DataFrame | None = None,
                    old: DataFrame | None = None) -> tuple[int, DataFrame | None]:
    """Full (no `touched`): every subject. Incremental: the touched subjects only, and of those
    that already have a golden row only the attributes a `delivered` resource feeds: the others'
    candidate values did not change, so neither did their timelines (a timeline is per subject and
    attribute). Subjects without a golden row yet, and `relinked` entities (OneID linked a legacy
    code to them, so rows under that code now count), are recomputed whole: their values may sit
    in any source. `old`: the touched subjects' golden rows before this build (read if absent).
    `touched`: distinct subject_ids, materialised (touched_subjects' checkpoint). They are in the
    universe by construction: OneID has registered every valid key of the new batches first, and
    links a legacy code only to a registered USCC (so the registry, 1 M persons, is not read here).
    Returns the subjects recomputed and, incremental with `old` given, the touched subjects' golden
    rows as they now are (materialised; None: read them)."""
    given = old is not None
    if touched is None:
        subjects = universe(spark, s, cat, gold, dim.subject).localCheckpoint()
        _write_dimension(spark, s, dim, versions(spark, s, cat, dim, subjects, ekey), None,
                         lambda hist: wide(dim, hist, subjects))
        return subjects.count(), None
    subjects = touched.select("subject_id")
    if old is None:
        old = lake.read(spark, lake.path(s, "gold", dim.table))
        old = None if old is None else old.join(lake.few(subjects.withColumnRenamed("subject_id", dim.key)), dim.key,
                                                "left_semi")
    whole = subjects if old is None else subjects.join(old.select(F.col(dim.key).alias("subject_id")), "subject_id",
                                                       "left_anti")
    if relinked is not None:
        whole = whole.unionByName(subjects.join(relinked.select("subject_id"), "subject_id", "left_semi"))
    whole = whole.distinct().localCheckpoint()
    fed = {a.name for a in dim.attributes if any(x.resource in delivered for x in a.sources)}
    part = subjects.join(whole, "subject_id", "left_anti").localCheckpoint() if fed and old is not None else None
    n_whole, n_part = whole.count(), (part.count() if part is not None else 0)
    if not n_whole and not n_part:
        return 0, None  # nothing written: the rows taken before stand

    def only(df: DataFrame, these: DataFrame, key: str = "subject_id") -> DataFrame:
        return df.join(these.withColumnRenamed("subject_id", key), key, "left_semi")
    # (subjects, all their attributes?, candidate values, their current rows from the new history)
    parts = []
    if n_whole:
        parts.append((whole, True, versions(spark, s, cat, dim, whole, ekey),
                      lambda hist: wide(dim, only(hist, whole), whole)))
    if n_part:
        parts.append((part, False, versions(spark, s, cat, dim, part, ekey, fed),
                      lambda hist: patch(dim, only(old, part, dim.key), only(hist, part), fed)))
    keys = _union([x.select("subject_id", F.lit(every).alias("_all")) for x, every, _, _ in parts])
    rows = _write_dimension(spark, s, dim, _union([v for _, _, v, _ in parts if v is not None]), keys,
                            lambda hist: _union([current(hist) for *_, current in parts]), fed)
    if not given or set(rows.columns) != set(old.columns):
        return n_whole + n_part, None
    # The named subjects' rows now: those just written, and the others' as they were.
    now = rows.select(*old.columns).unionByName(old.join(keys.select(F.col("subject_id").alias(dim.key)), dim.key,
                                                         "left_anti"))
    return n_whole + n_part, now.localCheckpoint()


def _write_dimension(spark: SparkSession, s: Settings, dim: Dimension, v: DataFrame | None,
                     keys: DataFrame | None, current, attributes: set[str] | None = None) -> DataFrame | None:
    """History and conflicts from the candidate values `v`, and the current rows `current(history)`.
    `keys` (subject_id, _all): the subjects whose rows are replaced, all of them or (not `_all`) only
    their rows of `attributes`; None: a full build, every table overwritten. Incremental: returns
    the rows written in place of those subjects' rows."""
    if v is None:  # no candidate at all: an empty history still has its columns
        v = spark.createDataFrame([], "subject_id string, attribute string, value string, rank int, src int, "
                                      "department string, resource string, _batch_id string, valid_from date")
    ranks = sorted({0, 99} | {r.rank for r in v.select("rank").distinct().collect()})
    hist = timeline(v, ranks).withColumn(dim.key, F.col("subject_id")).cache()
    key_first = [dim.key] + list(HISTORY_COLUMNS)
    conf = conflicts(v, hist).withColumnRenamed("subject_id", dim.key)
    # Incremental: materialised, so that they are also the subjects' rows as they now are (snapshot).
    rows = current(hist) if keys is None else current(hist).localCheckpoint()
    writes = [lambda: replace_subjects(hist.select(*key_first), lake.path(s, "gold", f"{dim.table}_history"), dim.key,
                                       keys, attributes, long=True),
              lambda: replace_subjects(conf, lake.path(s, "gold", f"{dim.table}_conflict"), dim.key, keys, attributes,
                                       long=True),
              lambda: replace_subjects(rows, lake.path(s, "gold", dim.table), dim.key, keys)]
    # Incremental: the three tables at once. Each write is a few small jobs and a commit, much of it
    # the driver's fixed cost, so they overlap on two cores (a 1 % delivery: 23-25 s against 33-35 s
    # in turn, docs/decisions.md). A full build writes them in turn: one 1 M-subject write in memory.
    with ThreadPoolExecutor(1 if keys is None else len(writes)) as pool:
        for f in [pool.submit(w) for w in writes]:
            f.result()
    hist.unpersist()
    return None if keys is None else rows


# --- models -----------------------------------------------------------------------------------------

def model_inputs(cat: Catalogue, model: Model) -> tuple[set[str], set[str]]:
    """(resources, gold tables) a model's SQL reads."""
    by_table = {r.silver_table: r.code for r in cat.resources.values()}
    res, golds = set(), set()
    for schema, table in REF.findall(model.sql):
        if schema == "silver":
            base = table[:-8] if table.endswith("_history") else table
            if base in by_table:
                res.add(by_table[base])
        elif schema == "gold":
            golds.add(table)
    return res, golds


def register_views(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold) -> None:
    """`silver.x` and `gold.x` in model and tag SQL read these session views (silver__x, gold__x)."""
    sql_types = {"string": "string", "date": "date", "timestamp": "timestamp", "integer": "bigint",
                 "decimal": "decimal(18,2)", "boolean": "boolean"}
    stored = set(lake_tables(s, "silver"))
    for res in cat.resources.values():  # a resource not delivered yet reads as empty, not as an error
        tables = [t for t in [res.silver_table] + ([f"{res.silver_table}_history"] if res.history else [])
                  if t not in stored]  # never replaced by an empty view, even briefly: marts may be reading
        cols = ", ".join(f"`{i.name}` {sql_types[cat.elements[i.element].type]}" for i in res.items)
        for table in tables:
            spark.createDataFrame([], f"{cols}, _batch_id string, _row_number int, _data_date date, "
                                      "_ingested_at timestamp, _row_hash string").createOrReplaceTempView(f"silver__{table}")
    for schema in ("silver", "gold", "portrait", "ops"):
        for table in lake_tables(s, schema):
            lake.read(spark, lake.path(s, schema, table)).createOrReplaceTempView(f"{schema}__{table}")
    ekey = lake.read(spark, lake.path(s, "gold", "entity_link"))
    if ekey is not None:
        ekey.where("linked").select("code", "entity_id").distinct().createOrReplaceTempView("gold__entity_key")
    else:
        spark.createDataFrame([], "code string, entity_id string").createOrReplaceTempView("gold__entity_key")


def lake_tables(s: Settings, schema: str) -> list[str]:
    from pathlib import Path
    if not s.lake_is_local:
        raise NotImplementedError("listing lake tables on object storage comes with the cluster profile")
    return sorted(p.parent.name for p in (Path(s.lake) / schema).glob("*/_delta_log"))


def sql_of(text: str, **params) -> str:
    out = REF.sub(lambda m: f"{m.group(1)}__{m.group(2)}", text)
    for k, v in params.items():
        out = out.replace("${" + k + "}", v)
    return out


def build_model(spark: SparkSession, s: Settings, model: Model, params: dict, schema: str = "gold") -> int:
    df = spark.sql(sql_of(model.sql, **params))
    return _overwrite(df, s, schema, model.table)


def _overwrite(df: DataFrame, s: Settings, schema: str, table: str) -> int:
    loc = lake.path(s, schema, table)
    lake.annotate(df, loc).write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(loc)
    out = lake.read(spark=df.sparkSession, location=loc)
    out.createOrReplaceTempView(f"{schema}__{table}")
    return out.count()


# --- marts ------------------------------------------------------------------------------------------

CATALOGUE_META = ("classification", "sharing_type", "sharing_condition", "open_type", "update_cycle")


def register_catalogue(spark: SparkSession, cat: Catalogue) -> None:
    """`catalogue.resource` in mart SQL: the resource directory (政务信息资源目录) itself."""
    rows = [(r.code, r.name_zh, r.department, r.department_zh, r.mode, r.silver_table,
             *[str(r.meta.get(k)) if r.meta.get(k) is not None else None for k in CATALOGUE_META])
            for r in sorted(cat.resources.values(), key=lambda r: r.code)]
    schema = "code string, name_zh string, department string, department_zh string, mode string, " \
             "silver_table string, " + ", ".join(f"{k} string" for k in CATALOGUE_META)
    spark.createDataFrame(rows, schema).createOrReplaceTempView("catalogue__resource")


def build_marts(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold, params: dict,
                say=lambda msg: None, unchanged: set[str] = frozenset(),
                columns: dict[str, set[str]] | None = None, only: list[Model] | None = None,
                fixed: bool = True) -> list[str]:
    """Every mart, whole (they are small aggregates over gold, portraits and ops), in order. A mart
    whose every input is in `unchanged` ("schema.table"), or changed only in `columns[input]` and
    none of those read (`may_read`), is not computed; one computed to the rows it already holds is
    not written. Either way it stays unchanged for the marts reading it. `only`: these marts (the
    others are built already, or later); `fixed`: also the map tiles and the KPI targets. Returns
    the marts written."""
    from govlake import geo
    register_catalogue(spark, cat)
    unchanged, written = set(unchanged), []

    def put(df: DataFrame, table: str) -> int:
        n, wrote = lake.replace_small(df, lake.path(s, "mart", table))
        (written.append if wrote else lambda t: unchanged.add(f"mart.{t}"))(table)
        lake.read(spark, lake.path(s, "mart", table)).createOrReplaceTempView(f"mart__{table}")
        return n
    columns = columns or {}

    def kept(table: str, inputs: set[str], sql: str = "") -> bool:
        """Whether the mart's inputs did not change (as far as it reads them): then it is kept."""
        if not inputs or not lake.is_table(spark, lake.path(s, "mart", table)) or \
                not all(i in unchanged or (i in columns and not may_read(sql, columns[i])) for i in inputs):
            return False
        lake.read(spark, lake.path(s, "mart", table)).createOrReplaceTempView(f"mart__{table}")
        unchanged.add(f"mart.{table}")
        say(f"mart.{table}: 输入未变，保留")
        return True
    regions = lake.read(spark, lake.path(s, "silver", "code_region")) if fixed else None
    # The map's county tiles, before the marts that colour them.
    if regions is not None and not kept("region_shape", {"silver.code_region"}):
        shapes = geo.rows(geo.layout([tuple(r) for r in regions.select(
            "region_code", "region_name", "city_code", "city_name").collect()]))
        put(spark.createDataFrame(shapes, "county_code string, county_name string, city_code string, "
                                          "city_name string, polygon string, geojson string"), "region_shape")
    if fixed and gold.targets:
        put(spark.createDataFrame([(i + 1, t.code, t.name_zh, float(t.target), t.unit, t.description)
                                   for i, t in enumerate(gold.targets)],
                                  "seq int, code string, name_zh string, target double, unit string, description string"),
            "kpi_target")
    for m in gold.marts if only is None else only:
        if kept(m.table, {f"{a}.{b}" for a, b in REF.findall(m.sql)}, m.sql):
            continue
        t = time.perf_counter()
        n = put(spark.sql(sql_of(m.sql, **params)), m.table)
        say(f"mart.{m.table}: {n} 行{'' if m.table in written else '，内容未变'}（{time.perf_counter() - t:.1f}s）")
    return written


# --- the whole downstream build ---------------------------------------------------------------------

STATE = ("ops", "gold_state")


def _published(spark: SparkSession, s: Settings) -> DataFrame | None:
    ledger = lake.read(spark, lake.path(s, "ops", "batch_ledger"))
    return None if ledger is None else ledger.where("status = 'published'").select("batch_id", "resource", "data_date")


def touched_subjects(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold, batches: list[str],
                     resources: set[str], ekey: DataFrame | None,
                     relinked: list[str] = ()) -> dict[str, DataFrame]:
    """The subjects whose silver rows came with these batches of these resources (a merge keeps an
    unchanged row's old batch id, so only changed rows count) plus the entities whose legacy codes
    OneID linked anew."""
    named = {}
    for subject, mentions in (("person", gold.persons()), ("entity", gold.entities())):
        frames = []
        for m in mentions:
            if m.resource not in resources:
                continue
            df = source_frame(spark, s, cat, m.resource, history=False)
            if df is None:
                continue
            df = df.where(F.col("_batch_id").isin(batches))
            df = (df.where(m.when) if m.when else df).select(F.col(f"`{m.id}`").alias("subject_id"))
            if subject == "entity":
                df = resolve_entity(df, "subject_id", ekey)
            frames.append(df.where(valid_key_sql(subject, "subject_id")))
        if subject == "entity" and relinked:
            frames.append(spark.createDataFrame([(e,) for e in relinked], "subject_id string"))
        named[subject] = (_union(frames).distinct() if frames else spark.createDataFrame([], "subject_id string"))
    # Materialised as checkpoints, not caches: each base of the tag query joins these subjects, and a
    # cached plan is still re-optimised in every join (minutes of planning), a checkpoint is a scan.
    return {k: v.localCheckpoint() for k, v in named.items()}


PERSON, ENTITY = ("person", "dim_person", "person_id"), ("entity", "dim_legal_entity", "entity_id")
CREDIT = ("credit", "dim_credit", "subject_id")
CREDIT_SUBJECT = {"person": "自然人", "entity": "法人"}


def snapshot(spark: SparkSession, s: Settings, named: dict[str, DataFrame],
             kept: dict[str, DataFrame | None] | None = None) -> dict[str, DataFrame | None]:
    """The named subjects' golden rows ("person", "entity") and credit rows ("credit") as they are
    now; `kept`: those known already (taken before of a table not written since, or the rows a
    dimension just wrote), not read again."""
    kept = kept or {}

    def one(subject: str, table: str, key: str) -> DataFrame | None:
        if subject in kept:
            return kept[subject]
        df = lake.read(spark, lake.path(s, "gold", table))
        who = named["person"].unionByName(named["entity"]) if subject == "credit" else named[subject]
        return None if df is None else \
            df.join(lake.few(who.withColumnRenamed("subject_id", key)), key, "left_semi").localCheckpoint()
    with ThreadPoolExecutor(2) as pool:  # each a scan of a whole table: two at a time on two cores
        return dict(zip(("person", "entity", "credit"), pool.map(one, *zip(PERSON, ENTITY, CREDIT))))


class Diff(NamedTuple):
    """How the named subjects' rows changed in a build: the subjects whose rows differ (gained, lost or
    changed), the columns that differ (every column when a subject gained or lost its row: any reader
    of the table may see it) and the values of the `carry` columns before and after."""
    subjects: list[str]
    columns: set[str]
    carried: dict[str, set[str]]


def diff(before: DataFrame | None, now: DataFrame | None, key: str, carry: tuple[str, ...] = ()) -> Diff:
    """Compares two snapshots of the same subjects (one row per `key`) in one join, collected: the
    snapshots hold only the subjects a delivery named."""
    if now is None and before is None:
        return Diff([], set(), {c: set() for c in carry})
    now = now if now is not None else before.limit(0)
    before = before if before is not None else now.limit(0)
    same = before.columns == now.columns
    others = [c for c in now.columns if c != key] if same else []
    b, a = (lambda c: F.col(f"b.`{c}`")), (lambda c: F.col(f"a.`{c}`"))
    row = b(key).isNull() | a(key).isNull() | F.lit(not same)
    cols = F.filter(F.array(*[F.when(~b(c).eqNullSafe(a(c)), F.lit(c)) for c in others], F.lit(None).cast("string")),
                    lambda x: x.isNotNull())
    j = before.alias("b").join(now.alias("a"), b(key) == a(key), "full_outer")
    rows = j.select(F.coalesce(b(key), a(key)).alias("__key"), row.alias("__row"), cols.alias("__cols"),
                    *[x(c).alias(f"{side}{i}") for i, c in enumerate(carry) for side, x in (("b", b), ("a", a))]) \
        .where("__row OR size(__cols) > 0").collect()
    columns = set(now.columns) if any(r["__row"] for r in rows) else {c for r in rows for c in r["__cols"]}
    carried = {c: {r[f"{side}{i}"] for r in rows for side in "ba"} - {None} for i, c in enumerate(carry)}
    return Diff(sorted({r["__key"] for r in rows}), columns, carried)


CARRY = {"person": ("household_id", "spouse_id"), "entity": ("rep_id",)}
NEIGHBOURS_ZH = {"person": "同户成员、配偶、法定代表人与员工", "entity": "同一法定代表人的法人与雇主"}  # neighbours()


def diffs(before: dict[str, DataFrame | None], now: dict[str, DataFrame | None]) -> dict[str, Diff]:
    """The dimensions' diffs ("person", "entity") and the credit records' ("person_credit", ...)."""
    out = {}
    for subject, _, key in (PERSON, ENTITY):
        out[subject] = diff(before[subject], now[subject], key, CARRY[subject])
        typed = lambda d: None if d is None else d.where(f"subject_type = '{CREDIT_SUBJECT[subject]}'")  # noqa: E731
        out[f"{subject}_credit"] = diff(typed(before["credit"]), typed(now["credit"]), "subject_id")
    return out


# The tables holding a related subject's record, by the kind of subject changed: what a portrait
# reads of a neighbour through a relation. A dimension or dim_credit changes only in the rows of the
# subjects a delivery named (their diffs say which columns); any other table may change elsewhere.
RELATED = {"person": ("gold.dim_person", "gold.dim_credit"), "entity": ("gold.dim_legal_entity", "gold.dim_credit")}


def reads_through(gold: Gold, subject: str, column: str, related: str, columns: set[str] | None,
                  changes: dict[str, set[str] | None]) -> bool:
    """Whether a `subject` portrait may read what changed of a `related` subject through the relation
    named by `column` (spouse_id, household_id, employer_uscc, rep_id, employer_id): one of its bases
    names the column and reads the related subject's record (RELATED), and either may read one of
    `columns` (the columns the named subjects' records changed in; None: any) or reads another table
    the build changed (`changes`, as for `jobs.portrait.stale`: gold.dim_household beside the
    household members' records). By name, so conservative: an employment delivery changes
    employer_uscc, which the spouse's base reads and the household's does not."""
    for sql in gold.tagsets[subject].bases.values():
        reads = {f"{a}.{b}" for a, b in REF.findall(sql)}
        if column not in WORD.findall(sql) or not reads & set(RELATED[related]):
            continue
        if may_read(sql, columns) or any(t in changes and may_read(sql, changes[t])
                                         for t in reads - set(RELATED["person"] + RELATED["entity"])):
            return True
    return False


def neighbours(spark: SparkSession, s: Settings, gold: Gold, named: dict[str, DataFrame],
               before: dict[str, DataFrame | None], now: dict[str, DataFrame | None], changed: dict[str, Diff],
               changes: dict[str, set[str] | None]) -> dict[str, DataFrame]:
    """The subjects whose portraits read a changed subject (lakehouse/portrait/*.yaml): for a person
    whose golden or credit record changed, the members of the household, the spouse, the entities
    represented and the insured employers; for a changed entity, its legal representative, the
    entities sharing that representative and its employees. Old and new relations both count (a
    person who moved leaves a household changed too). A relation is followed only when a portrait
    reads through it what changed (`reads_through`). Plus the named subjects themselves. `before`
    and `now`: their snapshots before and after the dimensions were rebuilt; `changed`: diffs();
    `changes`: what the build changed, by table."""
    dp = lake.read(spark, lake.path(s, "gold", "dim_person"))
    de = lake.read(spark, lake.path(s, "gold", "dim_legal_entity"))
    if dp is None or de is None:
        return named
    listed = lambda xs: spark.createDataFrame([(x,) for x in xs], "subject_id string")  # noqa: E731
    relations = {subject: {c: set(v) for c, v in changed[subject].carried.items()} for subject in ("person", "entity")}
    for subject, _, key in (PERSON, ENTITY):
        # A subject whose credit record alone changed: its relations from the snapshots (rare, small).
        only = sorted(set(changed[f"{subject}_credit"].subjects) - set(changed[subject].subjects))
        for snap in (before[subject], now[subject]):
            if only and snap is not None:
                for r in snap.join(listed(only).withColumnRenamed("subject_id", key), key, "left_semi") \
                        .select(*CARRY[subject]).collect():
                    for c in CARRY[subject]:
                        relations[subject][c].add(r[c])
    cp = sorted(set(changed["person"].subjects) | set(changed["person_credit"].subjects))
    ce = sorted(set(changed["entity"].subjects) | set(changed["entity_credit"].subjects))
    households = sorted(relations["person"]["household_id"] - {None})
    spouses = sorted(relations["person"]["spouse_id"] - {None})
    reps = sorted(relations["entity"]["rep_id"] - {None})

    # The columns the named subjects' golden or credit records changed in (all of them for a record
    # gained or lost: Diff), by kind of subject.
    cols = {subject: changed[subject].columns | changed[f"{subject}_credit"].columns for subject in ("person", "entity")}

    def via(subject: str, column: str, related: str, keys: list[str]) -> list[str]:
        return keys if keys and reads_through(gold, subject, column, related, cols[related], changes) else []

    def having(df: DataFrame, out: str, **keys: list[str]) -> DataFrame:
        """`out` of the rows whose column k is one of keys[k], for any k: one scan of `df`, each row
        unfolded into (k, value) pairs and semi-joined to the broadcast keys. Not `isin`: an IN list
        of thousands of literals costs Catalyst more than the scan (each literal a py4j call, then
        analysed and optimised)."""
        keys = {k: v for k, v in keys.items() if v}
        if not keys:
            return listed([])
        wanted = spark.createDataFrame([(k, x) for k, v in keys.items() for x in v], "__k string, __v string")
        pairs = F.explode(F.array(*[F.struct(F.lit(k).alias("__k"), F.col(k).cast("string").alias("__v")) for k in keys]))
        return df.select(F.col(out).alias("subject_id"), pairs.alias("__p")).select("subject_id", "__p.*") \
            .join(F.broadcast(wanted), ["__k", "__v"], "left_semi").select("subject_id")
    persons = [named["person"], having(dp, "person_id", spouse_id=via("person", "spouse_id", "person", cp),
                                       employer_uscc=via("person", "employer_uscc", "entity", ce),
                                       household_id=via("person", "household_id", "person", households)),
               listed(sorted(set(via("person", "rep_id", "entity", reps)) |
                             set(via("person", "spouse_id", "person", spouses))))]
    entities = [named["entity"], having(de, "entity_id", rep_id=sorted(set(via("entity", "rep_id", "person", cp)) |
                                                                       set(via("entity", "rep_id", "entity", reps))))]
    insured = lake.read(spark, lake.path(s, "gold", "fct_social_insurance"))
    if insured is not None and (employees := via("entity", "employer_id", "person", cp)):
        entities.append(having(insured.where("status = '正常参保'"), "employer_id", person_id=employees))
    # Materialised here, before either portrait starts: finding them inside the tag sets' threads
    # (overlapping the other portrait) measured slower (docs/decisions.md, 2026-12-07 (2)).
    return {"person": _union(persons).where("subject_id IS NOT NULL").distinct().localCheckpoint(),
            "entity": _union(entities).where("subject_id IS NOT NULL").distinct().localCheckpoint()}


def unchanged_silver(spark: SparkSession, s: Settings, cat: Catalogue, state: DataFrame,
                     new_resources: set[str]) -> set[str]:
    """The silver tables ("silver.x") unchanged since the last build: those of the resources not
    delivered (a batch of a resource no longer in the catalogue counts as delivering everything), and
    the code tables, written once when absent (jobs/ingest.write_code_tables), if they last changed
    before the previous build finished."""
    if not new_resources <= set(cat.resources):
        return set()
    delivered = {cat.resources[r].silver_table for r in new_resources}
    out = {f"silver.{r.silver_table}{h}" for r in cat.resources.values() if r.silver_table not in delivered
           for h in ("", "_history")}
    last_built = state.agg(F.max("built_at")).first()[0]
    for table in lake_tables(s, "silver"):
        changed_at = lake.last_commit(spark, lake.path(s, "silver", table)) if table.startswith("code_") else None
        if changed_at is not None and last_built is not None and changed_at < last_built:
            out.add(f"silver.{table}")
    return out


DOCUMENTED = ("gold", "portrait", "ops", "mart")  # the schemas a build writes


def documented_tables(s: Settings) -> set[str]:
    return {f"{schema}.{t}" for schema in DOCUMENTED for t in lake_tables(s, schema)}


def outdated(spark: SparkSession, s: Settings, gold: Gold) -> list[str]:
    """The stored golden and portrait tables whose columns are not those their definitions now make
    (an attribute or a tag added, renamed or removed since they were built). An incremental build
    replaces some subjects' rows and cannot write such a table; a full build rewrites it."""
    out = []
    for t in gold.edited_in_place():
        if t.long:  # partitioned by attribute: a new attribute is a new partition, not a new column
            continue
        df = lake.read(spark, lake.path(s, t.schema, t.table))
        if df is not None and set(df.columns) != t.columns:
            out.append(f"{t.schema}.{t.table}")
    return out


def run(spark: SparkSession, s: Settings, cat: Catalogue | None = None, full: bool = False) -> dict:
    """OneID, golden dimensions, models and portraits for every batch published since the last run.
    Returns what was built (for the progress output and the benchmark)."""
    from govlake import catalogue, goldspec
    from jobs import oneid, portrait
    cat = cat or catalogue.load()
    gold = goldspec.load(cat)
    say = lambda msg: print(f"[govlake] {msg}", flush=True)  # noqa: E731
    published = _published(spark, s)
    if published is None:
        say("尚无已发布的批次，跳过基础库构建")
        return {"skipped": True}
    state = lake.read(spark, lake.path(s, *STATE))
    done = set() if state is None or full else {r.batch_id for r in state.select("batch_id").collect()}
    rows = published.collect()
    new = [r for r in rows if r.batch_id not in done]
    if not new:
        missing = [m.table for m in gold.marts if not lake.is_table(spark, lake.path(s, "mart", m.table))]
        if not missing:
            say("没有新的批次，基础库、画像与专题库已是最新")
            return {"skipped": True, "new_batches": 0}
        say(f"没有新的批次；专题库缺少 {', '.join(missing)}，重建专题库")  # an instance from before the marts
        register_views(spark, s, cat, gold)
        marts = build_marts(spark, s, cat, gold, {"as_of": f"DATE'{max(r.data_date for r in rows)}'"}, say)
        lake.document(spark, s, cat, schemas=("mart",))
        return {"skipped": True, "new_batches": 0, "marts": marts}
    incremental = bool(done)
    if incremental and (redefined := outdated(spark, s, gold)):
        say(f"{'、'.join(redefined)} 的列与现行定义不一致（定义已修改），本次全量重建")
        incremental, new = False, rows
    existed = documented_tables(s)
    params = {"as_of": f"DATE'{max(r.data_date for r in rows)}'"}
    times, t0 = {}, time.perf_counter()

    def lap(name, t):
        times[name] = round(time.perf_counter() - t, 1)
        return time.perf_counter()

    say(f"基础库构建（{'增量' if incremental else '全量'}）：{len(new)} 个新批次，数据截至 {params['as_of'][5:-1]}")
    oneid.reset()
    t = time.perf_counter()
    new_resources = {r.resource for r in new}
    batches = [r.batch_id for r in new]

    linked = oneid.build(spark, s, cat, gold, batches if incremental else None,
                         new_resources if incremental else None)
    ekey = oneid.entity_key(spark, s)
    stable = unchanged_silver(spark, s, cat, state, new_resources) if incremental else set()
    t = lap("oneid", t)
    named = touched_subjects(spark, s, cat, gold, batches, new_resources, ekey, linked["relinked"]) \
        if incremental else {}
    before = snapshot(spark, s, named) if incremental else {}
    if incremental:
        say(f"本次报送涉及 自然人 {named['person'].count()} 人，法人 {named['entity'].count()} 户")
    t = lap("touched", t)
    # The dimensions are independent. Incremental: two threads keep both cores busy through each
    # one's serial stretches (Delta commits, small jobs); measured 51 s against 60 s one after the
    # other. A full build runs them in turn, so only one 1 M-subject shuffle is in memory at a time.
    relinked = spark.createDataFrame([(e,) for e in linked["relinked"]], "subject_id string")

    updated: dict[str, int] = {}
    after: dict[str, DataFrame] = {}  # the named subjects' golden rows now, as the dimensions wrote them

    def one_dimension(subject: str, dim: Dimension) -> None:
        t = time.perf_counter()
        n, rows = build_dimension(spark, s, cat, gold, dim, named.get(subject), ekey, new_resources,
                                  relinked if subject == "entity" else None, before.get(subject))
        updated[subject] = n
        if rows is not None:
            after[subject] = rows
        say(f"gold.{dim.table}: {'更新' if incremental else '构建'} {n} 行（{time.perf_counter() - t:.1f}s）")
    with ThreadPoolExecutor(2 if incremental else 1) as pool:
        list(pool.map(one_dimension, *zip(*gold.dimensions.items())))
    t = lap("dimensions", t)
    register_views(spark, s, cat, gold)
    rebuilt: set[str] = set()
    for model in gold.models:
        res, golds = model_inputs(cat, model)
        if incremental and not (res & new_resources) and not (golds & rebuilt):
            continue
        n = build_model(spark, s, model, params)
        rebuilt.add(model.table)
        say(f"gold.{model.table}: {n} 行")
    t = lap("models", t)
    # Unchanged by an incremental build: the models it did not rebuild, the resources not delivered.
    unchanged = stable | {f"gold.{m.table}" for m in gold.models if m.table not in rebuilt} | \
        ({f"gold.{t}" for t in oneid.TABLES} - linked["written"]) if incremental else set()
    # Incremental: the marts reading no portrait are built meanwhile, in a thread of their own (all
    # they read is final now). They are mostly the driver's work (each collected, compared and
    # written from Python), the portraits mostly Spark's tasks, so the two overlap
    # (docs/decisions.md). A full build builds every mart after the portraits, in turn.
    early = gold.marts_before_portraits() if incremental else []
    side = ThreadPoolExecutor(1)
    first = side.submit(build_marts, spark, s, cat, gold, params, say, unchanged, None, early) if early else None
    try:
        written = {"person": updated.get("person"), "entity": updated.get("entity"), "credit": "dim_credit" in rebuilt}
        now = snapshot(spark, s, named, {k: before[k] for k, w in written.items() if not w} | after) \
            if incremental else {}
        changed = diffs(before, now) if incremental else {}
        changes = None
        if incremental:  # what this build changed in gold and silver, for the portraits (jobs/portrait.py)
            changes = {f"silver.{t}": None for t in lake_tables(s, "silver") if f"silver.{t}" not in stable}
            changes |= {t: None for t in linked["written"]}  # OneID's tables it wrote (jobs/oneid.build)
            changes |= {f"gold.{t}": None for t in rebuilt}
            for subject, table, _ in (PERSON, ENTITY):
                if updated.get(subject):
                    changes[f"gold.{table}"] = changed[subject].columns
                    changes[f"gold.{table}_history"] = changes[f"gold.{table}_conflict"] = None
            say("本次变更：" + "；".join(f"{t}（{'全部列' if c is None else '、'.join(sorted(c))}）"
                                     for t, c in sorted(changes.items()) if c is None or c))
        touched = neighbours(spark, s, gold, named, before, now, changed, changes) if incremental else {}
        counts = {k: v.count() for k, v in touched.items()}
        for subject, n in counts.items():
            say(f"连同{NEIGHBOURS_ZH[subject]}，画像更新 {portrait.SUBJECT_ZH[subject]} "
                f"{n} {'人' if subject == 'person' else '户'}")
        t = lap("neighbours", t)
        register_views(spark, s, cat, gold)

        portrait_columns: dict[str, set[str]] = {}  # a portrait table changed in these columns only

        def one_tagset(subject: str) -> None:
            t = time.perf_counter()
            ts = gold.tagsets[subject]
            n, cols = portrait.build(spark, s, gold, subject, params, touched.get(subject), changes)
            if cols is not None:
                portrait_columns[f"portrait.{ts.table}"] = cols
            say(f"portrait.{ts.table}: {len(ts.tags)} 个标签，{'更新' if incremental else '计算'} {n} 个对象"
                f"（{time.perf_counter() - t:.1f}s）")
        with ThreadPoolExecutor(2 if incremental else 1) as pool:  # as the dimensions, for the same reasons
            list(pool.map(one_tagset, gold.tagsets))
        portrait.write_dictionary(spark, s, gold)
        t = lap("portraits", t)
        early_written = first.result() if first else []
    finally:
        side.shutdown(wait=True)
    register_views(spark, s, cat, gold)
    unchanged |= {f"mart.{t}" for t in ("region_shape", "kpi_target", *(m.table for m in early))
                  if early and t not in early_written and lake.is_table(spark, lake.path(s, "mart", t))}
    marts = early_written + build_marts(spark, s, cat, gold, params, say, unchanged, portrait_columns,
                                        [m for m in gold.marts if m not in early], fixed=not early)
    t = lap("marts", t)
    st = spark.createDataFrame([(r.batch_id, r.resource) for r in new], "batch_id string, resource string") \
        .withColumn("built_at", F.current_timestamp())
    loc = lake.path(s, *STATE)
    if not incremental:
        lake.annotate(st, loc).write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(loc)
    else:
        lake.merge(st, loc, ["batch_id"], insert_only=True)
    oneid.reset()
    # Incremental: only the tables new to the lake or written whole (a merge or an append keeps
    # the table's comments); documenting all ~50 costs seconds of Delta log reads.
    overwritten = {t for t in linked["written"] if t.endswith("_link")} | {f"gold.{t}" for t in rebuilt} | \
        {f"mart.{m}" for m in marts} | \
        {f"{STATE[0]}.{STATE[1]}", "portrait.tag_dictionary"} | (documented_tables(s) - existed) if incremental else None
    lake.document(spark, s, cat, schemas=DOCUMENTED, tables=overwritten)
    t = lap("document", t)
    times["total"] = round(time.perf_counter() - t0, 1)
    say(f"基础库与画像构建完成，用时 {times['total']}s")
    return {"incremental": incremental, "new_batches": len(new), "touched": counts,
            "named": {k: v.count() for k, v in named.items()}, "relinked": len(linked["relinked"]),
            "oneid_written": sorted(linked["written"]), "models": sorted(rebuilt),
            "marts": marts, "seconds": times}


def main(full: bool = False) -> int:
    from govlake.config import resolve
    from govlake.spark import get_spark
    s = resolve()
    spark = get_spark(s, app="govlake-gold")
    try:
        run(spark, s, full=full)
    finally:
        spark.stop()
    return 0

"""OneID: one key per natural person and per legal entity (lakehouse/gold/oneid.yaml).

A person's key is the normalised 18-digit citizen ID and an entity's the USCC, so keys are stable
across batches by construction. What needs linking:

* person mentions quarantined because their ID is unusable: a wrong check character links on the
  first 17 characters plus the name, a missing ID on name + birth date + sex (+ region), each only
  when exactly one known person matches; otherwise the reason is kept (gold.person_link);
* legacy GB 11714 organisation codes standing where a USCC belongs: linked to the one known USCC
  whose characters 9-17 are that code (gold.entity_link).

Everything is Spark SQL. Known persons and entities are kept as registries (gold.person_registry,
gold.entity_registry). A full build derives everything from silver and the quarantine; an
incremental one reads only what the new batches brought: their valid IDs are added to the
registries, their quarantined rows and their resources' mentions replace the older ones in the
mention set, and every mention still not directly keyed is linked again against the registries
(the link tables are as small as the quarantine, so linking them whole is cheap; reading the whole
of silver to find the known persons is what is not).
"""
from __future__ import annotations

import time
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from govlake import catalogue, goldspec, ids, lake, uscc
from govlake.catalogue import Catalogue
from govlake.config import Settings
from govlake.goldspec import ENTITY_LINK_COLUMNS, PERSON_LINK_COLUMNS, Gold, Mention

def _union(frames: list[DataFrame]) -> DataFrame | None:
    return reduce(lambda a, b: a.unionByName(b), frames) if frames else None


def _expr(col: str | None, typ: str = "string"):
    return F.lit(None).cast(typ) if col is None else F.expr(col if col.startswith("'") else f"`{col}`").cast(typ)


def _mention_frame(df: DataFrame, m: Mention, extra: list | None = None) -> DataFrame:
    out = df.where(m.when) if m.when else df
    return out.select(F.col(f"`{m.id}`").alias("delivered_id"), _expr(m.name).alias("name"),
                      _expr(m.sex).alias("sex"), _expr(m.birth_date, "date").alias("birth_date"),
                      _expr(m.region).alias("region"), F.lit(m.resource).alias("resource"),
                      F.lit(m.id).alias("role"), *(extra or []))


# One build reads the same silver tables many times (a resource holds several mentions and feeds
# several attributes): each is opened once per build — a Delta snapshot costs about a second here —
# and the derived frames everything else joins are cached. `reset()` starts a new build.
_memo: dict = {}


def reset() -> None:
    for v in _memo.values():
        if isinstance(v, DataFrame) and v.is_cached:
            v.unpersist()
    _memo.clear()


def read(spark: SparkSession, location: str) -> DataFrame | None:
    """A lake table that does not change during a gold build (silver, ops), opened once."""
    if location not in _memo:
        _memo[location] = lake.read(spark, location)
    return _memo[location]


def silver_table(spark: SparkSession, s: Settings, cat: Catalogue, resource: str) -> DataFrame | None:
    return read(spark, lake.path(s, "silver", cat.resources[resource].silver_table))


def quarantined(spark: SparkSession, s: Settings, cat: Catalogue, resource: str,
                batches: list[str] | None = None) -> DataFrame | None:
    """The quarantined rows of a resource (of these batches only, when given), standardised again
    (without checks) from their raw record, with `_batch_id` and `_row_number`."""
    from jobs import standardise
    key = ("quarantined", resource, tuple(batches or ()))
    if key in _memo:
        return _memo[key]
    q = read(spark, lake.path(s, "ops", "quarantine"))
    if q is None:
        return None
    if batches is not None:
        q = q.where(F.col("_batch_id").isin(batches))
    res = cat.resources[resource]
    schema = StructType([StructField(i.column, StringType()) for i in res.items])
    rows = (q.where(F.col("resource") == resource)
            .select(F.from_json("record", schema).alias("r"), "_batch_id", "_row_number", "_source_file")
            .select("r.*", "_batch_id", "_row_number", "_source_file"))
    raw = standardise.read_bronze(rows, res)
    _memo[key] = raw.select(*[F.expr(standardise.element_sql(cat, i.element, standardise.raw_col(i.name))).alias(i.name)
                              for i in res.items], "_batch_id", "_row_number")
    return _memo[key]


def _new_rows(df: DataFrame, batches: list[str] | None) -> DataFrame:
    return df if batches is None else df.where(F.col("_batch_id").isin(batches))


def _mentions(gold_mentions: list[Mention], resources: set[str] | None) -> list[Mention]:
    return [m for m in gold_mentions if resources is None or m.resource in resources]


REGISTRY = {"person": "person_registry", "entity": "entity_registry"}
TABLES = ("person_link", "entity_link", *REGISTRY.values())  # OneID's tables in gold


def _registry(spark: SparkSession, s: Settings, subject: str) -> DataFrame | None:
    return lake.read(spark, lake.path(s, "gold", REGISTRY[subject]))


def person_ids(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold, batches: list[str] | None = None,
               resources: set[str] | None = None) -> DataFrame:
    """(person_id, name, region, sex, birth_date) of every valid person mention in silver (or in these
    batches of these resources), one row per ID and name, with the sex and birth date the ID encodes."""
    frames = []
    for m in _mentions(gold.persons(), resources):
        df = silver_table(spark, s, cat, m.resource)
        if df is not None:
            frames.append(_mention_frame(_new_rows(df, batches), m).where(ids.check_ok_sql("delivered_id")))
    if not frames:
        return spark.createDataFrame([], "person_id string, name string, region string, sex string, birth_date date")
    ments = _union(frames).select(F.col("delivered_id").alias("person_id"), "name", "region")
    return (ments.groupBy("person_id", "name").agg(F.max("region").alias("region"))
            .withColumn("sex", F.expr(ids.sex_code_sql("person_id")))
            .withColumn("birth_date", F.expr(ids.birth_date_sql("person_id"))))


def entity_ids(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold, batches: list[str] | None = None,
               resources: set[str] | None = None) -> DataFrame:
    """(entity_id, org_code) of every valid USCC in silver (or in these batches of these resources)."""
    frames = []
    for m in _mentions(gold.entities(), resources):
        df = silver_table(spark, s, cat, m.resource)
        if df is not None:
            frames.append(_mention_frame(_new_rows(df, batches), m).where(uscc.check_ok_sql("delivered_id"))
                          .select(F.col("delivered_id").alias("entity_id")))
    if not frames:
        return spark.createDataFrame([], "entity_id string, org_code string")
    return _union(frames).distinct().withColumn(
        "org_code", F.concat(F.substring("entity_id", 9, 8), F.lit("-"), F.substring("entity_id", 17, 1)))


def update_registries(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold,
                      batches: list[str] | None = None, resources: set[str] | None = None
                      ) -> tuple[set[str], set[str]]:
    """Full: every valid ID in silver. Incremental: the new batches' IDs are added. A registry only
    grows: an (ID, name) pair once seen stays known (a missing name is a value too); the region kept
    is the greatest seen. Returns the subjects whose registry changed, and those of them whose
    change can alter a link (see `_grow`)."""
    changed, relink = set(), set()
    for subject, frame, keys in (("person", person_ids(spark, s, cat, gold, batches, resources), ["person_id", "name"]),
                                 ("entity", entity_ids(spark, s, cat, gold, batches, resources), ["entity_id"])):
        loc = lake.path(s, "gold", REGISTRY[subject])
        if batches is None or not lake.is_table(spark, loc):
            lake.annotate(frame, loc).write.format("delta").mode("overwrite") \
                .option("overwriteSchema", "true").save(loc)
            changed.add(subject)
            relink.add(subject)
            continue
        wrote, links = _grow(frame, loc, keys, "region" if subject == "person" else None)
        changed |= {subject} if wrote else set()
        relink |= {subject} if links else set()
    return changed, relink


def _grow(delivered: DataFrame, loc: str, keys: list[str], greatest: str | None) -> tuple[bool, bool]:
    """Add the delivered keys a registry lacks, and raise `greatest` where a delivered value is
    greater. Returns whether it wrote, and whether what it wrote can alter a link: a raised value,
    or a key without a null part (links match every key column by equality, so an (ID, no name)
    pair matches no mention). The delivered keys are few and the registry holds every subject:
    they are broadcast into one scan of it, which finds the stored rows they meet; a MERGE would
    shuffle the registry."""
    spark = delivered.sparkSession
    d = delivered.localCheckpoint()
    reg = lake.read(spark, loc)
    on = lambda a, b: reduce(lambda x, y: x & y, [F.col(f"{a}.`{k}`").eqNullSafe(F.col(f"{b}.`{k}`"))  # noqa: E731
                                                 for k in keys])
    seen = reg.alias("r").join(F.broadcast(d.select(*keys)).alias("d"), on("r", "d"), "left_semi").localCheckpoint()
    new = d.alias("d").join(seen.alias("r"), on("d", "r"), "left_anti").select(*reg.columns).localCheckpoint()
    grew = bool(new.take(1))
    links = grew and bool(new.where(" AND ".join(f"`{k}` IS NOT NULL" for k in keys)).take(1))
    if grew:
        new.write.format("delta").mode("append").save(loc)
    if greatest is None:
        return grew, links
    g = F.col(f"d.`{greatest}`")
    better = d.alias("d").join(seen.alias("r"), on("d", "r")) \
        .where((g > F.col(f"r.`{greatest}`")) | (F.col(f"r.`{greatest}`").isNull() & g.isNotNull())) \
        .select(*[F.col(f"d.`{k}`") for k in keys], g)
    if better.take(1):
        from delta.tables import DeltaTable
        DeltaTable.forPath(spark, loc).alias("t").merge(better.alias("s"), " AND ".join(
            f"t.`{k}` <=> s.`{k}`" for k in keys)).whenMatchedUpdate(set={greatest: f"s.`{greatest}`"}).execute()
        return True, True
    return grew, links


def known_persons(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold) -> DataFrame:
    """The person registry, cached for the build."""
    if "known_persons" not in _memo:
        reg = _registry(spark, s, "person")
        _memo["known_persons"] = (reg if reg is not None else person_ids(spark, s, cat, gold)).cache()
    return _memo["known_persons"]


def entity_registry(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold) -> DataFrame:
    """The entity registry (every valid USCC with its organisation code `XXXXXXXX-X`), cached."""
    if "entity_registry" not in _memo:
        reg = _registry(spark, s, "entity")
        _memo["entity_registry"] = (reg if reg is not None else entity_ids(spark, s, cat, gold)).cache()
    return _memo["entity_registry"]


QUARANTINE, SILVER = "隔离记录", "已发布记录"
MENTION_EXTRA = ("sex", "birth_date", "region", "origin")
MENTION_COLUMNS = ["resource", "role", "_batch_id", "_row_number", "delivered_id", "name", *MENTION_EXTRA]
CODE_COLUMNS = ["resource", "role", "code", "mentions"]


def person_mentions(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold,
                    batches: list[str] | None, resources: set[str] | None) -> DataFrame | None:
    """Person mentions without a usable ID that `batches` of `resources` bring (all of them on a full
    build): their quarantined rows (a wrong or missing mandatory ID, or quarantined for another
    reason), and the resources' published rows with the ID left empty. Materialised: a build both
    compares and links them."""
    frames = []
    for m in _mentions(gold.persons(), resources):
        q = quarantined(spark, s, cat, m.resource, batches)
        if q is not None:
            frames.append(_mention_frame(q, m, ["_batch_id", "_row_number", F.lit(QUARANTINE).alias("origin")]))
        df = silver_table(spark, s, cat, m.resource)
        if df is not None:
            row = F.col("_row_number") if "_row_number" in df.columns else F.lit(None).cast("int").alias("_row_number")
            frames.append(_mention_frame(df, m, ["_batch_id", row, F.lit(SILVER).alias("origin")])
                          .where("delivered_id IS NULL AND name IS NOT NULL"))
    return _union(frames).select(*MENTION_COLUMNS).where("delivered_id IS NOT NULL OR name IS NOT NULL") \
        .localCheckpoint() if frames else None


def legacy_codes(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold,
                 resources: set[str] | None) -> DataFrame | None:
    """(resource, role, code, mentions): each legacy organisation code in silver (of `resources`),
    materialised."""
    frames = []
    for m in _mentions(gold.entities(), resources):
        df = silver_table(spark, s, cat, m.resource)
        if df is not None:
            frames.append(_mention_frame(df, m).where(uscc.legacy_ok_sql("delivered_id"))
                          .select("resource", "role", F.col("delivered_id").alias("code")))
    return _union(frames).groupBy("resource", "role", "code").agg(F.count("*").cast("int").alias("mentions")) \
        .localCheckpoint() if frames else None


def _stored(spark: SparkSession, s: Settings, table: str, columns: list[str],
            replaced: Column) -> tuple[DataFrame, DataFrame] | None:
    """gold.`table`'s stored rows as (kept, replaced): those an incremental build keeps, and those the
    delivered rows replace (the `replaced` condition). None when there is no such table yet."""
    old = lake.read(spark, lake.path(s, "gold", table))
    if old is None or not set(columns) <= set(old.columns):
        return None
    old = old.select(*columns)
    return old.where(~replaced), old.where(replaced)


def _same(a: DataFrame | None, b: DataFrame | None) -> bool:
    """Whether two small frames hold the same rows (as multisets); None holds none."""
    if a is None or b is None:
        return (a is None or not a.take(1)) and (b is None or not b.take(1))
    return not a.exceptAll(b).take(1) and not b.exceptAll(a).take(1)


def link_persons(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold, frames: DataFrame | None) -> DataFrame:
    """The person mentions `frames`, linked to the registry where the evidence suffices."""
    types = {"_row_number": "int", "candidates": "int", "linked": "boolean", "birth_date": "date"}
    empty = spark.createDataFrame([], ", ".join(f"{c} {types.get(c, 'string')}" for c in PERSON_LINK_COLUMNS))
    if frames is None:
        return empty
    # Materialised (a checkpoint, not a cache): each join below must see the same `_mid`, and the
    # plan (stored mentions and every resource's standardisation) is big enough that re-optimising
    # it for each join costs more than the data.
    m = frames.withColumn("_valid", F.expr(ids.check_ok_sql("delivered_id"))) \
        .withColumn("_shaped", F.coalesce(F.col("delivered_id").rlike("^[0-9]{17}[0-9X]$"), F.lit(False))) \
        .withColumn("_mid", F.monotonically_increasing_id()).localCheckpoint()
    known = known_persons(spark, s, cat, gold)
    k = known.select(*[F.col(c).alias(f"k_{c}") for c in known.columns])
    valid, shaped = "_valid", "_shaped"
    # 1. a wrong check character: first 17 characters and name
    # The mentions to link are few against the registry: broadcast (`few`), the registry is not shuffled.
    by17 = (lake.few(m.where(f"NOT {valid} AND {shaped} AND name IS NOT NULL"))
            .join(k, (F.substring("delivered_id", 1, 17) == F.substring("k_person_id", 1, 17)) &
                  (F.col("name") == F.col("k_name")))
            .groupBy("_mid").agg(F.countDistinct("k_person_id").alias("n"), F.min("k_person_id").alias("pid"))
            .withColumn("how", F.lit("校验位错误：前17位与姓名一致")))
    # 2. no usable ID: name, birth date, sex (and region when the mention has one)
    region_ok = F.col("region").isNull() | (F.col("region") == F.col("k_region")) | \
        (F.col("region") == F.substring("k_person_id", 1, 6))
    by_name = (lake.few(m.where(f"NOT {valid} AND NOT {shaped} AND name IS NOT NULL AND "
                                "birth_date IS NOT NULL AND sex IS NOT NULL"))
               .join(k, (F.col("name") == F.col("k_name")) & (F.col("birth_date") == F.col("k_birth_date")) &
                     (F.col("sex") == F.col("k_sex")))
               .where(region_ok)
               .groupBy("_mid").agg(F.countDistinct("k_person_id").alias("n"), F.min("k_person_id").alias("pid"))
               .withColumn("how", F.lit("姓名、出生日期、性别（及地区）一致")))
    found = by17.unionByName(by_name)
    out = m.join(found, "_mid", "left")
    linked_direct = F.col(valid)
    one = F.coalesce(F.col("n") == 1, F.lit(False))
    return out.select(
        "resource", "role", "_batch_id", "_row_number", "delivered_id", "name",
        F.when(linked_direct, F.col("delivered_id")).when(one, F.col("pid")).alias("person_id"),
        (linked_direct | one).alias("linked"),
        F.when(linked_direct, F.lit("公民身份号码有效（因其他原因隔离）")).when(one, F.col("how")).alias("method"),
        F.when(linked_direct | one, F.lit(None))
         .when(F.col("n") > 1, F.concat(F.lit("候选人不唯一（"), F.col("n").cast("string"), F.lit(" 人）")))
         .when(F.col(shaped), F.lit("校验位错误，且前17位与姓名无唯一匹配"))
         .when(F.col("name").isNull(), F.lit("缺少证件号码和姓名，无法关联"))
         .when(F.col("birth_date").isNull() | F.col("sex").isNull(), F.lit("仅有姓名，缺少出生日期或性别，证据不足"))
         .otherwise(F.lit("人口库中无姓名、出生日期、性别一致的人")).alias("reason"),
        F.coalesce(F.col("n"), F.when(linked_direct, 1).otherwise(0)).cast("int").alias("candidates"),
        *MENTION_EXTRA)


def link_entities(spark: SparkSession, s: Settings, cat: Catalogue, gold: Gold, codes: DataFrame | None) -> DataFrame:
    """The legacy organisation codes `codes`, each linked to the USCC that contains it."""
    if codes is None:
        return spark.createDataFrame([], ", ".join(f"{c} {'int' if c == 'mentions' else 'boolean' if c == 'linked' else 'string'}"
                                                   for c in ENTITY_LINK_COLUMNS))
    reg = entity_registry(spark, s, cat, gold)
    hits = (codes.join(reg, codes.code == reg.org_code, "left")
            .groupBy("resource", "role", "code", "mentions")
            .agg(F.countDistinct("entity_id").alias("n"), F.min("entity_id").alias("eid")))
    return hits.select(
        "resource", "role", "code", F.when(F.col("n") == 1, F.col("eid")).alias("entity_id"),
        (F.col("n") == 1).alias("linked"),
        F.when(F.col("n") == 1, F.lit("旧组织机构代码：统一社会信用代码第9-17位一致")).alias("method"),
        F.when(F.col("n") == 0, F.lit("无包含该组织机构代码的统一社会信用代码"))
         .when(F.col("n") > 1, F.lit("多个统一社会信用代码包含该组织机构代码")).alias("reason"),
        "mentions")


def entity_key(spark: SparkSession, s: Settings) -> DataFrame | None:
    """legacy code -> USCC, for the gold builds (None before the first OneID run)."""
    links = lake.read(spark, lake.path(s, "gold", "entity_link"))
    return None if links is None else links.where("linked").select("code", "entity_id").distinct()


def _keys(spark: SparkSession, s: Settings) -> set[tuple[str, str]]:
    k = entity_key(spark, s)
    return set() if k is None else {(r.code, r.entity_id) for r in k.collect()}


def build(spark: SparkSession, s: Settings, cat: Catalogue | None = None, gold: Gold | None = None,
          batches: list[str] | None = None, resources: set[str] | None = None) -> dict:
    """Registries, gold.person_link and gold.entity_link: whole, or (with the new `batches` and
    their `resources`) from what those batches brought. Returns the link counts, `written` (the
    tables this build changed) and `relinked`, the entities whose legacy codes were linked or
    unlinked by this build (their golden records change although no delivery named them).
    Incremental: the delivered mentions (codes) replace the stored ones they stand for, and a link
    table is kept as it is when its registry did not grow and the delivered rows are exactly the
    ones they replace: every link would come out the same (a registry row that can match no
    mention does not count as growth)."""
    cat = cat or catalogue.load()
    gold = gold or goldspec.load(cat)
    incremental = batches is not None and all(lake.is_table(spark, lake.path(s, "gold", t)) for t in TABLES) \
        and set(MENTION_EXTRA) <= set(lake.read(spark, lake.path(s, "gold", "person_link")).columns)
    if not incremental:
        batches = resources = None
    t = time.perf_counter()
    grew, relink = update_registries(spark, s, cat, gold, batches, resources)
    print(f"[govlake] gold.person_registry, gold.entity_registry: {'增补' if incremental else '重建'}"
          f"（{time.perf_counter() - t:.1f}s）", flush=True)
    for k in ("known_persons", "entity_registry"):
        _memo.pop(k, None)
    out: dict = {"incremental": incremental, "relinked": [],
                 "written": {f"gold.{REGISTRY[x]}" for x in grew}}
    # (table, registry subject, delivered rows, their columns, which stored rows they replace, linker)
    delivered_resource = F.col("resource").isin(sorted(resources or ()))
    tables = (("person_link", "person", lambda: person_mentions(spark, s, cat, gold, batches, resources),
               MENTION_COLUMNS, ((F.col("origin") == QUARANTINE) & F.col("_batch_id").isin(batches or [])) |
               ((F.col("origin") == SILVER) & delivered_resource), link_persons),
              ("entity_link", "entity", lambda: legacy_codes(spark, s, cat, gold, resources),
               CODE_COLUMNS, delivered_resource, link_entities))
    for table, subject, delivered, columns, replaced, link in tables:
        t = time.perf_counter()
        loc = lake.path(s, "gold", table)
        rows = delivered()
        stored = _stored(spark, s, table, columns, replaced) if incremental else None
        kept = stored is not None and subject not in relink and _same(stored[1], rows)
        if not kept:
            if stored is not None:
                rows = stored[0] if rows is None else stored[0].unionByName(rows)
            before = _keys(spark, s) if incremental and table == "entity_link" else None
            frame = link(spark, s, cat, gold, rows).localCheckpoint()  # it may read the table it replaces
            lake.annotate(frame, loc).write.format("delta").mode("overwrite") \
                .option("overwriteSchema", "true").save(loc)
            out["written"].add(f"gold.{table}")
            if before is not None:
                out["relinked"] = sorted({eid for _, eid in before ^ _keys(spark, s)})
        n = lake.read(spark, loc).groupBy("linked").count().collect()
        out[table] = {bool(r["linked"]): r["count"] for r in n}
        print(f"[govlake] gold.{table}: {'登记与待关联记录均未变，保留；' if kept else ''}"
              f"关联 {out[table].get(True, 0)}，未关联 {out[table].get(False, 0)}"
              f"（{time.perf_counter() - t:.1f}s）", flush=True)
    return out

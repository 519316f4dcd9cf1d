"""Pure bronze -> silver transforms for one catalogue resource: DataFrame in, DataFrame out, no I/O.

Every per-row check is a Spark SQL expression (no Python UDFs) producing a boolean `_ok_<rule>`
column; `_reasons` collects the Chinese messages of the failed checks for the quarantine.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from govlake import ids
from govlake.catalogue import Catalogue, Resource

DATE_FORMATS = ("yyyy-MM-dd", "yyyyMMdd", "yyyy/M/d", "yyyy年M月d日", "yyyy-M-d", "yyyy.M.d")
MIN_DATE = "1900-01-01"


@dataclass(frozen=True)
class Check:
    name: str
    message: str
    sql: str
    severity: str = "warn"


def _text_sql(col: str) -> str:
    return f"nullif(regexp_replace({col}, '^[\\\\s\\\\x{{3000}}]+|[\\\\s\\\\x{{3000}}]+$', ''), '')"


def _code_sql(col: str, table: dict) -> str:
    t = _text_sql(col)
    pairs = {**{k: k for k in table["codes"]}, **table.get("synonyms", {})}
    whens = " ".join(f"WHEN '{src}' THEN '{dst}'" for src, dst in pairs.items())
    return f"CASE {t} {whens} ELSE {t} END"


def _date_sql(col: str) -> str:
    t = _text_sql(col)
    parsed = ", ".join(f"try_to_timestamp({t}, '{fmt}')" for fmt in DATE_FORMATS)
    return f"CAST(coalesce({parsed}) AS DATE)"


def element_sql(cat: Catalogue, element: str, col: str) -> str:
    e = cat.elements[element]
    if e.normalise == "citizen_id":
        return ids.normalise_sql(col)
    if e.normalise == "code":
        return _code_sql(col, cat.code_tables[e.code_table])
    if e.normalise == "date":
        return _date_sql(col)
    return _text_sql(col)


def checks(cat: Catalogue, res: Resource, as_of: str) -> list[Check]:
    """Row checks from the elements (mandatory, valid form, code membership) and the resource rules."""
    out = [Check(f"{res.key}_present", f"{cat.elements[res.key].name_zh}为空", f"{res.key} IS NOT NULL")]
    for element in res.items.values():
        e = cat.elements[element]
        if e.normalise == "citizen_id":
            out.append(Check(f"{element}_check_char", f"{e.name_zh}格式或校验位错误",
                             f"{element} IS NULL OR {ids.check_ok_sql(element)}"))
            out.append(Check(f"{element}_birth", f"{e.name_zh}中的出生日期无效",
                             f"{element} IS NULL OR NOT {ids.check_ok_sql(element)} OR "
                             f"coalesce({ids.birth_date_sql(element)} BETWEEN DATE'{MIN_DATE}' AND DATE'{as_of}', false)"))
        elif e.normalise == "code":
            codes = ", ".join(f"'{c}'" for c in cat.code_tables[e.code_table]["codes"])
            out.append(Check(f"{element}_code", f"{e.name_zh}不在代码表中", f"{element} IS NULL OR {element} IN ({codes})"))
        elif e.normalise == "date":
            out.append(Check(f"{element}_date", f"{e.name_zh}无法识别或超出范围",
                             f"coalesce({element} BETWEEN DATE'{MIN_DATE}' AND DATE'{as_of}', false)"))
    # A resource rule that cannot be evaluated (an input is missing) passes: the element checks
    # above already report the missing value, once.
    out += [Check(r["name"], r["message"], f"coalesce({r['sql']}, true)", r["severity"]) for r in res.rules]
    return out


def standardise(bronze: DataFrame, cat: Catalogue, res: Resource, as_of: str) -> DataFrame:
    """Bronze rows (source headers, all strings) -> standard elements + `_ok_*`, `_reasons`,
    `_duplicate` (same standardised content as an earlier row of the batch) and `_accepted`."""
    missing = [c for c in res.items if c not in bronze.columns]
    if missing:
        raise ValueError(f"{res.code}: delivery lacks columns {missing}")
    cols = [F.expr(element_sql(cat, el, f"`{src}`")).alias(el) for src, el in res.items.items()]
    meta = [c for c in bronze.columns if c.startswith("_")]
    raw = F.to_json(F.struct(*[F.col(f"`{src}`") for src in res.items])).alias("_raw")
    df = bronze.select(*cols, *meta, raw)
    cks = checks(cat, res, as_of)
    df = df.select("*", *[F.expr(c.sql).alias(f"_ok_{c.name}") for c in cks])
    reasons = F.array(*[F.when(~F.col(f"_ok_{c.name}"), F.lit(c.message)) for c in cks])
    df = df.withColumn("_reasons", F.filter(reasons, lambda x: x.isNotNull()))
    elements = list(res.items.values())
    df = df.withColumn("_std_hash", F.sha2(F.to_json(F.struct(*elements)), 256))
    first = Window.partitionBy("_std_hash").orderBy("_row_number")
    df = df.withColumn("_duplicate", F.row_number().over(first) > 1)
    # A second, different record for the same key in one batch cannot both be true: keep the first.
    valid = (F.size("_reasons") == 0) & ~F.col("_duplicate")
    by_key = Window.partitionBy(res.key, valid).orderBy("_row_number")
    conflict = valid & (F.row_number().over(by_key) > 1)
    df = df.withColumn("_reasons", F.when(conflict, F.array_append("_reasons", F.lit(
        f"同一批次内{cat.elements[res.key].name_zh}重复且内容不一致"))).otherwise(F.col("_reasons")))
    return df.withColumn("_accepted", (F.size("_reasons") == 0) & ~F.col("_duplicate")).drop("_std_hash")


def silver_rows(std: DataFrame, res: Resource) -> DataFrame:
    keep = list(res.items.values()) + ["_batch_id", "_ingested_at", "_row_hash"]
    return std.where("_accepted").select(*keep)


def quarantine_rows(std: DataFrame, res: Resource) -> DataFrame:
    return (std.where("NOT _accepted AND NOT _duplicate")
            .select(F.lit(res.code).alias("resource"), F.lit(res.department).alias("department"),
                    "_batch_id", "_source_file", "_row_number", F.col(res.key).alias("record_key"),
                    F.col("_raw").alias("record"), F.col("_reasons").alias("reasons")))

"""Pure bronze -> silver transforms for one catalogue resource: DataFrame in, DataFrame out, no I/O.

Every per-row check is a Spark SQL expression (no Python UDFs) producing a boolean `_ok_<check>`
column. `_reasons` collects the Chinese messages of failed `warn` checks (the row is quarantined),
`_notes` those of failed `info` checks (the row is published and the department is told), `_fails`
those of `fail` checks (the whole batch is held back). Bronze rows carry `_data_date`, the delivery's
data date, so several batches can be standardised together and each is judged by its own date.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from govlake import ids, uscc
from govlake.catalogue import Catalogue, Element, Item, Resource

DATE_FORMATS = ("yyyy-MM-dd", "yyyyMMdd", "yyyy/M/d", "yyyy年M月d日", "yyyy-M-d", "yyyy.M.d")
TIME_FORMATS = ("yyyy-MM-dd HH:mm:ss", "yyyy/M/d H:mm:ss", "yyyyMMddHHmmss",
                "yyyy-MM-dd HH:mm")
CORRUPT = "_corrupt_record"
MIN_DATE, MAX_DATE = "1900-01-01", "2099-12-31"
FULL_DIGITS, HALF_DIGITS = "０１２３４５６７８９．－", "0123456789.-"
TRUE_WORDS, FALSE_WORDS = ("是", "Y", "y", "1", "true", "TRUE", "True"), ("否", "N", "n", "0", "false", "FALSE", "False")


@dataclass(frozen=True)
class Check:
    name: str
    message: str
    sql: str
    severity: str = "warn"   # warn: quarantine the row; info: publish and report; fail: hold the batch
    column: str | None = None
    dimension: str = "validity"  # completeness | validity | consistency (for the scorecard)


def raw_col(name: str) -> str:
    """The delivered text of an item, trimmed (whitespace and ideographic spaces), empty as NULL."""
    return f"`__raw_{name}`"


def _text_sql(col: str) -> str:
    return f"nullif(regexp_replace({col}, '^[\\\\s\\\\x{{3000}}]+|[\\\\s\\\\x{{3000}}]+$', ''), '')"


def _code_sql(col: str, table: dict) -> str:
    t = col  # already trimmed by read_bronze
    pairs = {**{k: k for k in table.get("codes", {})}, **table.get("synonyms", {})}
    if not pairs:
        return t
    whens = " ".join(f"WHEN '{src}' THEN '{dst}'" for src, dst in pairs.items())
    return f"CASE {t} {whens} ELSE {t} END"  # a simple CASE evaluates its subject once


def _parse_sql(col: str, formats: tuple[str, ...], cast: str) -> str:
    t = col  # already trimmed by read_bronze
    parsed = ", ".join(f"try_to_timestamp({t}, '{fmt}')" for fmt in formats)
    return f"CAST(coalesce({parsed}) AS {cast})"


def _number_sql(col: str, cast: str) -> str:
    t = _text_sql(f"translate({col}, '{FULL_DIGITS}', '{HALF_DIGITS}')")
    return f"try_cast(regexp_replace({t}, '[,，\\\\s]', '') AS {cast})"


def element_sql(cat: Catalogue, element: str, col: str) -> str:
    e = cat.elements[element]
    n = e.normalise
    if n == "citizen_id":
        return ids.normalise_sql(col)
    if n == "uscc":
        return uscc.normalise_sql(col)
    if n == "party":  # a citizen ID when it is one (15 -> 18 digits), otherwise a USCC
        cid = ids.normalise_sql(col)
        return f"CASE WHEN {ids.check_ok_sql(cid)} THEN {cid} ELSE {uscc.normalise_sql(col)} END"
    if n == "code":
        return _code_sql(col, cat.code_tables[e.code_table])
    if n == "date":
        return _parse_sql(col, DATE_FORMATS, "DATE")
    if n == "timestamp":
        return _parse_sql(col, TIME_FORMATS, "TIMESTAMP")
    if n == "integer":
        return _number_sql(col, "BIGINT")
    if n == "decimal":
        return _number_sql(col, "DECIMAL(18,2)")
    if n == "boolean":
        t = col
        yes, no = ", ".join(f"'{w}'" for w in TRUE_WORDS), ", ".join(f"'{w}'" for w in FALSE_WORDS)
        return f"CASE WHEN {t} IN ({yes}) THEN true WHEN {t} IN ({no}) THEN false END"
    return col  # text, region: trimmed by read_bronze


def region_valid_sql(col: str, on: str, regions: list[tuple[str, str | None, str | None]]) -> str:
    """`col` is a division code valid on date `on`: (code, valid_from, valid_to) from the division
    table and the catalogue's region_history; an open bound is None."""
    always = [c for c, lo, hi in regions if lo is None and hi is None]
    parts = [f"{col} IN ({', '.join(repr(c) for c in sorted(always))})"] if always else []
    for c, lo, hi in regions:
        if lo is None and hi is None:
            continue
        cond = [f"{col} = '{c}'"] + ([f"{on} >= DATE'{lo}'"] if lo else []) + ([f"{on} < DATE'{hi}'"] if hi else [])
        parts.append("(" + " AND ".join(cond) + ")")
    return "(" + " OR ".join(parts or ["false"]) + ")"


def _industry_sql(col: str, table: dict) -> str:
    ranges = []
    for sec in table.get("sections", {}).values():
        lo, hi = sec["divisions"].split("-")
        ranges.append(f"substring({col}, 1, 2) BETWEEN '{lo}' AND '{hi}'")
    return f"({col} RLIKE '{table.get('pattern', '.*')}' AND ({' OR '.join(ranges) or 'true'}))"


def _element_checks(cat: Catalogue, item: Item, e: Element, regions) -> list[Check]:
    c, raw, label = f"`{item.name}`", raw_col(item.name), item.column
    given = f"{raw} IS NOT NULL"
    out: list[Check] = []
    n = e.normalise
    if n == "citizen_id":
        out.append(Check(f"{item.name}_check_char", f"{label}格式或校验位错误",
                         f"{c} IS NULL OR {ids.check_ok_sql(c)}", column=item.name))
        out.append(Check(f"{item.name}_birth", f"{label}中的出生日期无效",
                         f"{c} IS NULL OR NOT {ids.check_ok_sql(c)} OR "
                         f"coalesce({ids.birth_date_sql(c)} BETWEEN DATE'{MIN_DATE}' AND _data_date, false)",
                         column=item.name))
    elif n in ("uscc", "party"):
        ok = f"{uscc.check_ok_sql(c)} OR {uscc.legacy_ok_sql(c)}"
        if n == "party":
            ok = f"{ids.check_ok_sql(c)} OR {ok}"
        out.append(Check(f"{item.name}_check_char", f"{label}格式或校验位错误", f"{c} IS NULL OR {ok}",
                         column=item.name))
        out.append(Check(f"{item.name}_legacy", f"{label}为旧组织机构代码，需换发统一社会信用代码",
                         f"{c} IS NULL OR NOT {uscc.legacy_ok_sql(c)}", "info", item.name))
    elif n == "code":
        table = cat.code_tables[e.code_table]
        if "sections" in table:
            ok = _industry_sql(c, table)
        else:
            ok = f"{c} IN ({', '.join(repr(k) for k in table['codes'])})"
        out.append(Check(f"{item.name}_code", f"{label}不在代码表《{table.get('name_zh', e.code_table)}》中",
                         f"{c} IS NULL OR {ok}", column=item.name))
    elif n == "region":
        on = f"coalesce(CAST(`{item.as_of}` AS DATE), _data_date)" if item.as_of else "_data_date"
        out.append(Check(f"{item.name}_region", f"{label}不是该日期有效的行政区划代码",
                         f"{c} IS NULL OR {region_valid_sql(c, on, regions)}", column=item.name))
    elif n in ("date", "timestamp"):
        hi = "_data_date" if e.not_after_delivery else f"DATE'{MAX_DATE}'"
        day = c if n == "date" else f"CAST({c} AS DATE)"
        out.append(Check(f"{item.name}_{n}", f"{label}无法识别或超出范围",
                         f"NOT ({given}) OR coalesce({day} BETWEEN DATE'{MIN_DATE}' AND {hi}, false)",
                         column=item.name))
    elif n in ("integer", "decimal", "boolean"):
        out.append(Check(f"{item.name}_{n}", f"{label}不是有效的{'数值' if n != 'boolean' else '是/否'}",
                         f"NOT ({given}) OR {c} IS NOT NULL", column=item.name))
    if e.pattern:
        out.append(Check(f"{item.name}_pattern", f"{label}格式不符（{e.format or e.pattern}）",
                         f"{c} IS NULL OR {c} RLIKE '{e.pattern}'", column=item.name))
    return out


def checks(cat: Catalogue, res: Resource, regions: list) -> list[Check]:
    """Row checks from the items (mandatory, valid form, code membership, region on the record's
    date) and the resource's own rules. A rule that cannot be evaluated (an input is missing) passes:
    the item checks already report the missing value, once."""
    out: list[Check] = []
    for item in res.items:
        if item.required or item.name in res.key:
            out.append(Check(f"{item.name}_present", f"{item.column}为空", f"`{item.name}` IS NOT NULL OR "
                             f"{raw_col(item.name)} IS NOT NULL", column=item.name,
                             dimension="completeness"))
        out += _element_checks(cat, item, cat.elements[item.element], regions)
    out += [Check(r["name"], r["message"], f"coalesce({r['sql']}, true)", r["severity"], dimension="consistency")
            for r in res.rules]
    out.append(Check("row_shape", "该行字段数与表头不符（行格式错误）", f"{CORRUPT} IS NULL"))
    return out


def read_bronze(bronze: DataFrame, res: Resource) -> DataFrame:
    """Bronze (delivered headers, all strings) -> one raw string column per item, `__raw_<name>`."""
    headers = res.headers()
    by_item = {}
    for c in bronze.columns:
        if c in headers:
            by_item.setdefault(headers[c].name, c)
    missing = [i.column for i in res.items if i.name not in by_item]
    if missing:
        raise ValueError(f"{res.code}: delivery lacks columns {missing}")
    meta = [F.col(c) for c in bronze.columns if c.startswith("_")]
    if CORRUPT not in bronze.columns:
        meta.append(F.lit(None).cast("string").alias(CORRUPT))
    raw = F.to_json(F.struct(*[F.col(f"`{by_item[i.name]}`").alias(i.column) for i in res.items])).alias("_raw")
    trimmed = [F.expr(_text_sql(f"`{by_item[i.name]}`")).alias(f"__raw_{i.name}") for i in res.items]
    return bronze.select(*trimmed, *meta, raw)


def standardise(bronze: DataFrame, cat: Catalogue, res: Resource, regions: list,
                references: dict[str, DataFrame] | None = None, row_checks: bool = True) -> DataFrame:
    """Bronze rows -> silver columns + `_ok_*`, `_reasons`, `_notes`, `_fails`, `_duplicate` (same
    standardised content as an earlier row of its batch), `_accepted` and `_std_hash`.

    `references` maps a referenced resource code to a one-column DataFrame (`k`) of its keys; a
    reference whose target is not in the lake yet is not checked. `row_checks=False` (benchmarks
    only) skips the checks, to measure what they cost."""
    df = read_bronze(bronze, res)
    std = [F.expr(element_sql(cat, i.element, raw_col(i.name))).alias(i.name) for i in res.items]
    df = df.select(*std, "*")
    cks = checks(cat, res, regions) if row_checks else []
    df = df.select("*", *[F.expr(c.sql).alias(f"_ok_{c.name}") for c in cks])
    for i, ref in enumerate(res.references if row_checks else ()):
        keys = (references or {}).get(ref.resource)
        if keys is None:
            continue
        name = f"ref_{ref.column}"
        item = next(x for x in res.items if x.name == ref.column)
        target = cat.resources[ref.resource]
        hit = F.broadcast(keys.select(F.col("k").alias(f"__k{i}")).distinct())
        df = (df.join(hit, df[ref.column] == hit[f"__k{i}"], "left")
              .withColumn(f"_ok_{name}", F.col(ref.column).isNull() | F.col(f"__k{i}").isNotNull())
              .drop(f"__k{i}"))
        cks.append(Check(name, f"{item.column}在《{target.name_zh}》中不存在", "", ref.severity, ref.column,
                         "consistency"))

    def messages(severity: str):
        arr = F.array(*[F.when(~F.col(f"_ok_{c.name}"), F.lit(c.message)) for c in cks if c.severity == severity]
                      or [F.lit(None).cast("string")])
        return F.filter(arr, lambda x: x.isNotNull())
    df = df.withColumn("_reasons", messages("warn")).withColumn("_notes", messages("info")) \
           .withColumn("_fails", messages("fail"))
    names = [i.name for i in res.items]
    df = df.withColumn("_std_hash", F.sha2(F.to_json(F.struct(*[F.col(f"`{n}`") for n in names])), 256))
    first = Window.partitionBy("_batch_id", "_std_hash").orderBy("_row_number")
    df = df.withColumn("_duplicate", F.row_number().over(first) > 1)
    # A second, different record for the same key in one batch cannot both be true: keep the first.
    valid = (F.size("_reasons") == 0) & ~F.col("_duplicate")
    by_key = Window.partitionBy("_batch_id", valid, *[F.col(f"`{k}`") for k in res.key]).orderBy("_row_number")
    conflict = valid & (F.row_number().over(by_key) > 1)
    key_zh = "、".join(i.column for i in res.items if i.name in res.key)
    df = df.withColumn("_reasons", F.when(conflict, F.array_append("_reasons", F.lit(
        f"同一批次内{key_zh}重复且内容不一致"))).otherwise(F.col("_reasons")))
    return df.withColumn("_accepted", (F.size("_reasons") == 0) & ~F.col("_duplicate"))


def check_list(cat: Catalogue, res: Resource, regions: list) -> list[Check]:
    """Every check `standardise` evaluates (for the scorecard and quality results)."""
    out = checks(cat, res, regions)
    for ref in res.references:
        item = next(x for x in res.items if x.name == ref.column)
        out.append(Check(f"ref_{ref.column}", f"{item.column}在《{cat.resources[ref.resource].name_zh}》中不存在",
                         "", ref.severity, ref.column, "consistency"))
    return out


def silver_rows(std: DataFrame, res: Resource) -> DataFrame:
    keep = [f"`{i.name}`" for i in res.items] + ["_batch_id", "_row_number", "_data_date", "_ingested_at"]
    return std.where("_accepted").select(*keep, F.col("_std_hash").alias("_row_hash"))


def _key_text(res: Resource):
    return F.concat_ws("|", *[F.col(f"`{k}`").cast("string") for k in res.key])


QUARANTINE_SCHEMA = ("resource string, department string, _batch_id string, _source_file string, _row_number int, "
                     "record_key string, record string, reasons array<string>")
FEEDBACK_SCHEMA = ("department string, resource string, resource_zh string, _batch_id string, _row_number int, "
                   "record_key string, action string, reasons string, record string")


def quarantine_rows(std: DataFrame, res: Resource) -> DataFrame:
    return (std.where("NOT _accepted AND NOT _duplicate")
            .select(F.lit(res.code).alias("resource"), F.lit(res.department).alias("department"),
                    "_batch_id", "_source_file", "_row_number", _key_text(res).alias("record_key"),
                    F.col("_raw").alias("record"), F.col("_reasons").alias("reasons")))


def feedback_rows(std: DataFrame, res: Resource) -> DataFrame:
    """Every row a department should look at: quarantined (处理: 隔离) or published with a notice
    (处理: 已入库，请核实)."""
    flagged = std.where("(NOT _accepted AND NOT _duplicate) OR (size(_notes) > 0 AND NOT _duplicate)")
    return flagged.select(
        F.lit(res.department).alias("department"), F.lit(res.code).alias("resource"),
        F.lit(res.name_zh).alias("resource_zh"), "_batch_id", "_row_number", _key_text(res).alias("record_key"),
        F.when(F.col("_accepted"), F.lit("已入库，请核实")).otherwise(F.lit("已隔离，请更正后重新报送")).alias("action"),
        F.array_join(F.concat("_reasons", "_notes"), "；").alias("reasons"), F.col("_raw").alias("record"))

"""Delta table writes that are safe to repeat: replace one batch, or merge by key."""
from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from govlake.catalogue import Catalogue
from govlake.config import Settings

# Tables every installation has; comments are shown to analysts in Trino.
OPS_TABLES = {
    ("ops", "batch_ledger"): "批次台账：每批原始行数 = 入库行数 + 隔离行数 + 重复行数",
    ("ops", "quality_results"): "数据质量校验结果（Great Expectations，每批每条规则一行）",
    ("ops", "quarantine"): "隔离区：未通过校验的记录及原因，供部门纠错",
}


def path(settings: Settings, schema: str, table: str) -> str:
    return settings.table_path(schema, table)


def is_table(spark: SparkSession, location: str) -> bool:
    from delta.tables import DeltaTable
    return DeltaTable.isDeltaTable(spark, location)


def read(spark: SparkSession, location: str) -> DataFrame | None:
    return spark.read.format("delta").load(location) if is_table(spark, location) else None


def replace_batch(df: DataFrame, location: str, batch_id: str, partition: bool = False) -> None:
    """Overwrite exactly the rows of one batch; other batches are untouched."""
    spark = df.sparkSession
    writer = df.write.format("delta")
    if is_table(spark, location):
        writer.mode("overwrite").option("replaceWhere", f"_batch_id = '{batch_id}'").save(location)
    else:
        (writer.partitionBy("_batch_id") if partition else writer).mode("overwrite").save(location)


def merge(df: DataFrame, location: str, keys: list[str], changed: str | None = None) -> None:
    """Upsert by key; with `changed`, a matched row is only rewritten when that column differs."""
    from delta.tables import DeltaTable
    spark = df.sparkSession
    if not is_table(spark, location):
        df.write.format("delta").mode("overwrite").save(location)
        return
    cond = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    upd = f"NOT (t.`{changed}` <=> s.`{changed}`)" if changed else None
    (DeltaTable.forPath(spark, location).alias("t").merge(df.alias("s"), cond)
     .whenMatchedUpdateAll(condition=upd).whenNotMatchedInsertAll().execute())


def write_if_absent(df: DataFrame, location: str) -> None:
    if not is_table(df.sparkSession, location):
        df.write.format("delta").mode("overwrite").save(location)


META_COLUMNS = {"_batch_id": "批次号", "_source_file": "来源文件", "_ingested_at": "入湖时间",
                "_row_hash": "行哈希", "_row_number": "源文件行号"}


def table_comments(cat: Catalogue) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    """(schema, table) -> (table comment, {column: comment}), all from the catalogue."""
    out = {}
    for res in cat.resources.values():
        cols = {el: cat.elements[el].name_zh for el in res.items.values()} | META_COLUMNS
        out[("silver", res.silver_table)] = (f"{res.silver_comment}；来源：{res.department_zh}《{res.name_zh}》", cols)
        out[("bronze", res.bronze_table)] = (f"{res.department_zh}《{res.name_zh}》原样数据（贴源层）", META_COLUMNS)
    out[("silver", "code_region")] = ("行政区划代码表（GB/T 2260，样例省）",
                                      {"region_code": "区县代码", "region_name": "区县名称",
                                       "city_code": "地市代码", "city_name": "地市名称"})
    out[("silver", "code_sex")] = ("人的性别代码表（GB/T 2261.1）", {"code": "代码", "name": "名称"})
    for key, text in OPS_TABLES.items():
        out[key] = (text, {})
    return out


def document(spark: SparkSession, settings: Settings, cat: Catalogue) -> None:
    """Write the catalogue's comments into each existing table's Delta log, only where they differ
    (so a re-run adds no commit). Trino shows them as table and column comments."""
    from delta.tables import DeltaTable
    for (schema, table), (text, cols) in table_comments(cat).items():
        loc = path(settings, schema, table)
        if not is_table(spark, loc):
            continue
        ident = f"delta.`{loc}`"
        if DeltaTable.forPath(spark, loc).detail().first().description != text:
            spark.sql(f"COMMENT ON TABLE {ident} IS {_sql_str(text)}")
        for field in spark.read.format("delta").load(loc).schema.fields:
            note = cols.get(field.name)
            if note and field.metadata.get("comment") != note:
                spark.sql(f"ALTER TABLE {ident} ALTER COLUMN `{field.name}` COMMENT {_sql_str(note)}")


def _sql_str(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

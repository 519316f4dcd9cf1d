"""Delta table writes that are safe to repeat: replace one batch, or merge by key."""
from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

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

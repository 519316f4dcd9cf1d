"""Builds the Spark session with Delta Lake from the resolved configuration."""
from __future__ import annotations

import glob
import os
from pathlib import Path

from govlake.config import Settings, resolve

DELTA_JARS = "delta-spark_4.1_2.13-4.4.0"  # must match infra/spark/pom.xml and docs/versions.md


def delta_jar_dir(settings: Settings) -> Path:
    return Path(settings.cache) / "jars" / DELTA_JARS


# Spark compiles each query's whole-stage code into new classes; HotSpot's C2 then optimises the hot
# ones in the background, on the same two cores as the tasks. A portrait query (a hundred tag
# expressions in one stage) yields a method whose C2 compilation alone took 12-17 s of CPU per build,
# for a stage that runs a few seconds. Capping C2's graph (8000 nodes; HotSpot's default is 80000)
# for generated classes makes it give up on such methods early: they keep their C1 code. Spark's own
# classes are untouched (docs/decisions.md, 2026-12-03 (4)).
JIT_OPTIONS = ("-XX:CompileCommand=quiet "
               "-XX:CompileCommand=MaxNodeLimit,org.apache.spark.sql.catalyst.expressions.GeneratedClass*::*,8000")
# The throughput collector, not G1 (the JVM's default; its concurrent marking and write barriers
# cost CPU, and there are two cores). Three incremental builds in turn on the 1 M-person bench lake,
# one JVM per collector: 91.6, 71.8, 60.6 s against G1's 104.9, 79.8, 73.3 s (docs/decisions.md,
# 2026-12-04).
GC_OPTIONS = "-XX:+UseParallelGC"
JVM_OPTIONS = f"{GC_OPTIONS} {JIT_OPTIONS}"


def get_spark(settings: Settings | None = None, app: str = "govlake"):
    """One session per process; driver memory is fixed before the JVM starts."""
    from pyspark.sql import SparkSession

    settings = settings or resolve()
    jars = sorted(glob.glob(str(delta_jar_dir(settings) / "*.jar")))
    if not jars:
        raise RuntimeError(f"Delta Lake jars missing in {delta_jar_dir(settings)}: run `make setup` "
                           "(infra/spark/install.sh) first")
    java17 = "/usr/lib/jvm/java-17-openjdk-amd64"
    if "JAVA_HOME" not in os.environ and os.path.isdir(java17):
        os.environ["JAVA_HOME"] = java17
    local_dir = Path(settings.instance) / "spark" / "tmp"
    local_dir.mkdir(parents=True, exist_ok=True)
    builder = (
        SparkSession.builder.appName(app)
        .master(settings.spark_master)
        .config("spark.jars", ",".join(jars))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.default.parallelism", str(settings.spark_shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.local.dir", str(local_dir))
        .config("spark.sql.session.timeZone", "Asia/Shanghai")
        # Keep tables readable and writable by Trino: no deletion vectors (docs/decisions.md).
        .config("spark.databricks.delta.properties.defaults.enableDeletionVectors", "false")
        .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={local_dir} {JVM_OPTIONS}")
    )
    spark = builder.getOrCreate()
    # ERROR: Spark's WARN lines (codegen fallbacks with whole plans) drown the progress output.
    spark.sparkContext.setLogLevel("ERROR")
    # Wide generated check expressions exceed Java's 64 KB method limit; Spark then falls back to
    # interpreted evaluation (correct, a little slower) but logs the whole failed source as an ERROR.
    jvm = spark.sparkContext._jvm
    for logger in ("org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator",
                   "org.apache.spark.sql.execution.WholeStageCodegenExec"):
        jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(logger, jvm.org.apache.logging.log4j.Level.OFF)
    return spark

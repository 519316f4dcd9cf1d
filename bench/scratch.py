"""What the province benchmarks share: a scratch instance of their own and peak-memory readings."""
from __future__ import annotations

import os
from pathlib import Path

KEEP = ("GOVLAKE_INSTANCE", "GOVLAKE_SPARK_DRIVER_MEMORY", "GOVLAKE_SPARK_SHUFFLE_PARTITIONS")


def use_instance(inst: Path, driver_memory: str) -> None:
    """Point the resolver at the scratch instance; values exported for another instance are dropped
    so they cannot leak into this one."""
    os.environ.update({"GOVLAKE_INSTANCE": str(inst), "GOVLAKE_SPARK_DRIVER_MEMORY": driver_memory,
                       "GOVLAKE_SPARK_SHUFFLE_PARTITIONS": "4"})
    for k in [k for k in os.environ if k.startswith("GOVLAKE_") and k not in KEEP]:
        del os.environ[k]


def peak_rss_mb(pid: int | str = "self") -> int:
    """A process's peak resident memory (VmHWM) in MB."""
    with open(f"/proc/{pid}/status") as fh:
        return round(next((int(x.split()[1]) for x in fh if x.startswith("VmHWM")), 0) / 1024)


def jvm_peak_mb(spark) -> int:
    return peak_rss_mb(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())


def pct(xs: list[float], p: float) -> float:
    """The p-quantile (nearest rank) of a list of timings."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]

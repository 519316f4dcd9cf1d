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


def jvm_cpu_s(spark) -> dict[str, float]:
    """CPU seconds the Spark JVM has used so far: in all (ended threads included), in the JIT
    compilers (C1/C2) and in garbage collection; `rest` is Spark's tasks plus the driver (planning,
    Delta log, scheduling). Linux /proc only. Task threads come and go, so they cannot be counted
    apart; the compiler and GC threads live as long as the JVM."""
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    tick = os.sysconf("SC_CLK_TCK")

    def cpu(stat: str) -> float:
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / tick
    out = {"total": cpu(Path(f"/proc/{pid}/stat").read_text()), "jit": 0.0, "gc": 0.0}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        kind = "jit" if "CompilerThre" in name else "gc" if name.startswith(("GC Thread", "G1 ")) else None
        if kind:
            out[kind] += cpu(stat)
    out["rest"] = out["total"] - out["jit"] - out["gc"]
    return out


def cpu_since(spark, before: dict[str, float]) -> dict[str, float]:
    now = jvm_cpu_s(spark)
    return {k: round(now[k] - before.get(k, 0.0), 1) for k in now}


def pct(xs: list[float], p: float) -> float:
    """The p-quantile (nearest rank) of a list of timings."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]

"""Per-department feedback file (纠错反馈清单) for the correction loop: every row the department must
fix or confirm, with its reasons — no sample cap — and every delivery refused whole."""
from __future__ import annotations

import csv
from pathlib import Path

from govlake import lake
from govlake.catalogue import Catalogue
from govlake.config import Settings

HEADER = ["资源代码", "资源名称", "批次号", "源文件行号", "记录主键", "处理", "原因", "原始记录"]


def feedback_dir(s: Settings) -> Path:
    return Path(s.instance) / "feedback"


def export(spark, s: Settings, cat: Catalogue, department: str) -> Path | None:
    from pyspark.sql import functions as F
    fb = lake.read(spark, lake.path(s, "ops", "feedback"))
    ledger = lake.read(spark, lake.path(s, "ops", "batch_ledger"))
    if fb is None and ledger is None:
        return None
    dept_zh = cat.departments().get(department, (department, []))[0]
    out = feedback_dir(s) / department / f"纠错反馈清单_{dept_zh}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    n = 0
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        if ledger is not None:
            for r in (ledger.where((F.col("department") == department) & (F.col("status").isin("refused", "rejected")))
                      .orderBy("resource", "batch_id").collect()):
                name = cat.resources[r.resource].name_zh if r.resource in cat.resources else r.resource
                action = "整批拒收，请重新报送" if r.status == "refused" else "整批未发布（质量闸门未通过），请核实"
                w.writerow([r.resource, name, r.batch_id, "", "", action, r.message, ""])
                n += 1
        if fb is not None:
            rows = (fb.where(F.col("department") == department)
                    .orderBy("resource", "_batch_id", "_row_number")
                    .select("resource", "resource_zh", "_batch_id", "_row_number", "record_key", "action",
                            "reasons", "record"))
            for r in rows.toLocalIterator():
                w.writerow(list(r))
                n += 1
    tmp.replace(out)
    return out

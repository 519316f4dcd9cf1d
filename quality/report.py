"""Defect report against the sample province's ground truth: of the defects the generator injected,
the share the platform caught and the share it repaired, and the batch ledger reconciled against the
truth's per-delivery counts. Also the scorecard per department and batch.

`caught`: a row-level defect (bad check character, missing ID) quarantined the row; a duplicate row
was recognised as one; a repairable variant (15-digit ID, full-width digits, whitespace, sex or date
variant) came out standardised, or its row was quarantined naming that column; a legacy organisation
code was recognised as one. `repaired`: the standardised value equals the clean value.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from govlake import lake
from govlake.catalogue import Catalogue, load
from govlake.config import Settings, resolve

QUARANTINE_KINDS = {"bad_check_char", "missing_id"}
KIND_ZH = {"bad_check_char": "身份号码校验位错误", "missing_id": "身份号码缺失", "legacy_15": "15位旧身份号码",
           "full_width": "全角字符", "whitespace": "多余空白", "sex_variant": "性别写法不规范",
           "date_variant": "日期格式不一", "legacy_org_code": "旧组织机构代码", "duplicate_row": "重复行"}


def _parse_clean_date(text: str) -> dt.date | None:
    m = re.fullmatch(r"(\d{4})[-/年.]?(\d{1,2})[-/月.]?(\d{1,2})日?", text or "")
    return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None


def _outcomes(spark, s: Settings, cat: Catalogue, wanted: dict[str, set[tuple[str, int]]]) -> dict:
    """(batch_id, row) -> standardised row outcome, recomputed from bronze with the same transforms
    the pipeline used (only the rows the truth mentions are brought back)."""
    from pyspark.sql import functions as F

    from jobs import ingest, standardise
    regions = ingest.regions(s, cat)
    out = {}
    for code, keys in wanted.items():
        res = cat.resources.get(code)
        br = lake.read(spark, lake.path(s, "bronze", res.bronze_table)) if res else None
        if br is None:
            continue
        std = standardise.standardise(br, cat, res, regions, ingest.reference_keys(spark, s, cat, res))
        pairs = spark.createDataFrame(sorted(keys), "_batch_id string, _row_number int")
        cols = [i.name for i in res.items]
        rows = (std.join(F.broadcast(pairs), ["_batch_id", "_row_number"])
                .select("_batch_id", "_row_number", "_accepted", "_duplicate", "_reasons", "_notes",
                        *[F.col(f"`{c}`").cast("string").alias(c) for c in cols]).collect())
        for r in rows:
            out[(r["_batch_id"], r["_row_number"])] = r.asDict()
    return out


def compute(spark, s: Settings, cat: Catalogue, truth: Path) -> dict:
    truth = Path(truth)
    summary = json.loads((truth / "summary.json").read_text(encoding="utf-8"))
    defects = [json.loads(x) for x in (truth / "defects.jsonl").read_text(encoding="utf-8").splitlines() if x]
    defects = [d for d in defects if d["resource"] in cat.resources and d["kind"] in KIND_ZH]
    # Only deliveries that were landed as batches count (a repeated copy is skipped at landing).
    ledger = lake.read(spark, lake.path(s, "ops", "batch_ledger"))
    led = {} if ledger is None else {r.batch_id: r.asDict() for r in ledger.collect()}
    wanted: dict[str, set] = defaultdict(set)
    for d in defects:
        wanted[d["resource"]].add((f"{d['resource']}.{d['delivery']}", int(d["row"])))
    rows = _outcomes(spark, s, cat, wanted)
    quarantined_rows_with_defect: set = set()
    tally: dict[str, Counter] = defaultdict(Counter)
    for d in defects:
        b = f"{d['resource']}.{d['delivery']}"
        if led.get(b, {}).get("status") not in ("published", "rejected", "validated"):
            continue
        r = rows.get((b, int(d["row"])))
        k = d["kind"]
        t = tally[k]
        t["injected"] += 1
        if r is None:
            continue
        if k == "duplicate_row":
            t["caught"] += bool(r["_duplicate"])
            continue
        res = cat.resources[d["resource"]]
        item = res.headers().get(d["field"])
        value = r.get(item.name) if item else None
        named = item is not None and any(item.column in x for x in r["_reasons"] or [])
        if k in QUARANTINE_KINDS:
            t["caught"] += (not r["_accepted"]) and (named or r["_duplicate"])
            quarantined_rows_with_defect.add((b, int(d["row"])))
            continue
        if k == "legacy_org_code":
            t["caught"] += bool(value and re.fullmatch(r"[0-9A-Z]{8}-[0-9X]", value))
            t["repaired"] += value == d["clean"]
            continue
        if k == "date_variant":
            ok = value is not None and value == str(_parse_clean_date(d["clean"]))
        else:
            ok = value == d["clean"]
        t["repaired"] += ok
        t["caught"] += ok or ((not r["_accepted"]) and named)
    # False alarms: quarantined rows the truth has no row-level defect for.
    q = lake.read(spark, lake.path(s, "ops", "quarantine"))
    false_alarms = []
    if q is not None:
        for r in q.select("resource", "_batch_id", "_row_number", "reasons").collect():
            if r.resource in cat.resources and (r._batch_id, r._row_number) not in quarantined_rows_with_defect:
                false_alarms.append({"batch": r._batch_id, "row": r._row_number, "reasons": list(r.reasons)})
    recon = []
    for code, rs in summary["resources"].items():
        if code not in cat.resources:
            continue
        for dl in rs.get("deliveries", []):
            b = f"{code}.{dl['delivery_id']}"
            e = led.get(b)
            got = None if e is None else (e["raw_rows"], e["silver_rows"], e["quarantined_rows"], e["duplicate_rows"])
            want = (dl["rows"], dl["clean_rows"], dl["expected_quarantined_rows"], dl["duplicate_rows"])
            refused_empty = e is not None and e["status"] == "refused" and dl["rows"] == 0
            recon.append({"batch": b, "status": e and e["status"], "ledger": got, "truth": want,
                          "matches": refused_empty or (got == want and e["status"] == "published"),
                          "balanced": e is not None and e["status"] == "published"
                          and e["raw_rows"] == e["silver_rows"] + e["quarantined_rows"] + e["duplicate_rows"]})
    kinds = {k: {"name_zh": KIND_ZH[k], "injected": t["injected"], "caught": t["caught"],
                 "caught_share": round(t["caught"] / t["injected"], 4) if t["injected"] else None,
                 "repaired": None if k in QUARANTINE_KINDS | {"duplicate_row"} else t["repaired"],
                 "repaired_share": None if k in QUARANTINE_KINDS | {"duplicate_row"} or not t["injected"]
                 else round(t["repaired"] / t["injected"], 4)}
             for k, t in sorted(tally.items())}
    injected = sum(k["injected"] for k in kinds.values())
    caught = sum(k["caught"] for k in kinds.values())
    repairable = [k for n, k in kinds.items() if k["repaired"] is not None]
    published = [r for r in recon if r["status"] == "published"]
    return {"defects": kinds, "injected": injected, "caught": caught,
            "caught_share": round(caught / injected, 4) if injected else None,
            "repairable": sum(k["injected"] for k in repairable),
            "repaired": sum(k["repaired"] for k in repairable),
            "repaired_share": round(sum(k["repaired"] for k in repairable) / max(sum(k["injected"] for k in repairable), 1), 4),
            "false_alarms": len(false_alarms), "false_alarm_sample": false_alarms[:10],
            "batches": len(recon), "batches_matching_truth": sum(r["matches"] for r in recon),
            "published_batches": len(published), "published_balanced": sum(r["balanced"] for r in published),
            "mismatches": [r for r in recon if not r["matches"]][:20]}


def render(rep: dict) -> str:
    out = ["缺陷发现与修复（对照样例省真值）", "",
           f"{'缺陷类型':<16}{'注入':>8}{'发现':>8}{'发现率':>9}{'修复':>8}{'修复率':>9}"]
    for k, v in rep["defects"].items():
        rep_s = "—" if v["repaired"] is None else str(v["repaired"])
        rep_p = "—" if v["repaired_share"] is None else f"{v['repaired_share']:.1%}"
        out.append(f"{v['name_zh']:<16}{v['injected']:>8}{v['caught']:>8}{v['caught_share']:>9.1%}{rep_s:>8}{rep_p:>9}")
    out += ["", f"合计：注入 {rep['injected']}，发现 {rep['caught']}（{rep['caught_share']:.1%}）；"
                f"可修复 {rep['repairable']}，已修复 {rep['repaired']}（{rep['repaired_share']:.1%}）",
            f"误报（真值中无行级缺陷却被隔离的行）：{rep['false_alarms']}",
            f"批次台账：{rep['batches']} 个交付，{rep['batches_matching_truth']} 个与真值一致；"
            f"已发布 {rep['published_batches']} 个，其中 {rep['published_balanced']} 个满足 原始 = 入库 + 隔离 + 重复"]
    for m in rep["mismatches"]:
        out.append(f"  不一致：{m['batch']} 状态 {m['status']} 台账 {m['ledger']} 真值 {m['truth']}")
    return "\n".join(out)


def main(truth: str, json_out: str | None = None) -> int:
    from govlake.spark import get_spark
    s = resolve()
    spark = get_spark(s, app="govlake-quality-report")
    try:
        rep = compute(spark, s, load(), Path(truth))
    finally:
        spark.stop()
    print(render(rep))
    if json_out:
        Path(json_out).write_text(json.dumps(rep, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def scorecard_main() -> int:
    from govlake.spark import get_spark
    s = resolve()
    cat = load()
    spark = get_spark(s, app="govlake-scorecard")
    try:
        df = lake.read(spark, lake.path(s, "ops", "scorecard"))
        if df is None:
            print("[govlake] 还没有记分卡：先运行 govlake ingest run all", file=sys.stderr)
            return 1
        rows = df.orderBy("department", "_batch_id").collect()
    finally:
        spark.stop()
    names = {d: zh for d, (zh, _) in cat.departments().items()}
    print(f"{'部门':<14}{'批次':<44}{'行数':>7}{'完整性':>8}{'有效性':>8}{'一致性':>8}{'唯一性':>8}{'及时性':>8}{'得分':>7}")
    for r in rows:
        print(f"{names.get(r.department, r.department):<14}{r._batch_id:<44}{r.rows:>7}{r.completeness:>8.3f}"
              f"{r.validity:>8.3f}{r.consistency:>8.3f}{r.uniqueness:>8.3f}{r.timeliness:>8.3f}{r.score:>7.3f}")
    return 0

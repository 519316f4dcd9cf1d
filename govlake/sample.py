"""A small sample delivery of 公安 household registration (户籍人口) with known defects and ground truth.

Issue-3 grows this into the whole province; this version writes one department's delivery so the
skeleton has realistic, misbehaving input: invalid check characters, 15-digit legacy numbers,
full-width digits, lowercase x, stray whitespace, mixed sex codes and date formats, duplicates.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
from pathlib import Path

from govlake import ids

# A handful of real GB/T 2260 counties of 浙江省 (the full code list is fetched at set-up in issue 3).
REGIONS = [
    ("330102", "上城区", "330100", "杭州市"), ("330105", "拱墅区", "330100", "杭州市"),
    ("330106", "西湖区", "330100", "杭州市"), ("330108", "滨江区", "330100", "杭州市"),
    ("330109", "萧山区", "330100", "杭州市"), ("330110", "余杭区", "330100", "杭州市"),
    ("330122", "桐庐县", "330100", "杭州市"), ("330127", "淳安县", "330100", "杭州市"),
    ("330203", "海曙区", "330200", "宁波市"), ("330212", "鄞州区", "330200", "宁波市"),
    ("330281", "余姚市", "330200", "宁波市"), ("330302", "鹿城区", "330300", "温州市"),
    ("330324", "永嘉县", "330300", "温州市"), ("330402", "南湖区", "330400", "嘉兴市"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌鹏辉宇浩然欣怡子涵梓轩雨桐晨阳思远佳琪"
STREETS = ["解放路", "建国路", "人民路", "中山路", "文三路", "湖滨路", "凤起路", "延安路"]
HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "民族", "户籍地行政区划", "户号", "住址"]
# Defect kinds and their default rates (share of persons).
DEFECT_RATES = {
    "bad_check_char": 0.03,   # must be quarantined
    "missing_id": 0.01,       # must be quarantined
    "legacy_15": 0.03,        # must be upgraded to 18 digits
    "full_width": 0.02,       # must be converted to half-width
    "whitespace": 0.02,       # must be trimmed
    "duplicate_row": 0.02,    # exact repeat of a row: declared duplicate
}
QUARANTINED_KINDS = {"bad_check_char", "missing_id"}


def _person(rng: random.Random, n: int) -> dict:
    code, county, _, city = rng.choice(REGIONS)
    born = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 89))
    sex = rng.choice("12")
    seq = rng.randrange(0, 50) * 20 + rng.randrange(0, 10) * 2 + (1 if sex == "1" else 0)
    first17 = f"{code}{born:%Y%m%d}{seq:03d}"
    return {
        "id_number": first17 + ids.check_char(first17),
        "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
        "sex_code": sex,
        "birth_date": born.isoformat(),
        "ethnicity_code": "01" if rng.random() < 0.92 else f"{rng.randrange(2, 57):02d}",
        "region_code": code,
        "household_id": f"{code}{n // 3:07d}",
        "address": f"浙江省{city}{county}{rng.choice(STREETS)}{rng.randrange(1, 400)}号",
    }


def _render(p: dict, rng: random.Random, kind: str | None) -> list[str]:
    pid = p["id_number"]
    if kind == "bad_check_char":
        pid = pid[:17] + next(c for c in "0123456789X" if c != pid[17])
    elif kind == "missing_id":
        pid = ""
    elif kind == "legacy_15":
        pid = pid[:6] + pid[8:17]
    elif kind == "full_width":
        pid = pid.translate(str.maketrans(ids.HALF_WIDTH[:11], ids.FULL_WIDTH[:11]))
    elif kind == "whitespace":
        pid = f" {pid[:6]} {pid[6:]}  "
    if pid.endswith("X") and rng.random() < 0.5:
        pid = pid[:-1] + "x"
    born = dt.date.fromisoformat(p["birth_date"])
    date_text = rng.choice([born.isoformat(), f"{born:%Y%m%d}", f"{born.year}/{born.month}/{born.day}",
                            f"{born.year}年{born.month}月{born.day}日"])
    sex_text = p["sex_code"] if rng.random() < 0.6 else {"1": "男", "2": "女"}[p["sex_code"]]
    return [pid, p["name"], sex_text, date_text, p["ethnicity_code"], p["region_code"],
            p["household_id"], p["address"]]


def write_delivery(out: str | Path, persons: int = 3000, seed: int = 20261122,
                   truth_dir: str | Path | None = None,
                   delivery_id: str = "20261122-001",
                   delivered_at: str = "2026-11-22T08:00:00+08:00") -> dict:
    """Write landing/gongan/hukou/<delivery_id>/ (CSV + manifest) and the ground truth beside it."""
    rng = random.Random(seed)
    out = Path(out)
    ddir = out / "gongan" / "hukou" / delivery_id
    ddir.mkdir(parents=True, exist_ok=True)
    truth = Path(truth_dir) if truth_dir else out.parent / "truth"
    truth.mkdir(parents=True, exist_ok=True)

    seen: set[str] = set()
    rows, defects, clean = [], [], []
    for n in range(persons):
        p = _person(rng, n)
        while p["id_number"] in seen:
            p = _person(rng, n)
        seen.add(p["id_number"])
        kind, r = None, rng.random()
        for k, rate in DEFECT_RATES.items():
            if k == "duplicate_row":
                continue
            if r < rate:
                kind = k
                break
            r -= rate
        if kind == "legacy_15" and not p["birth_date"].startswith("19"):
            kind = None  # 15-digit numbers only exist for people born in the 1900s
        row = _render(p, rng, kind)
        rows.append(row)
        if kind:
            defects.append({"row": len(rows), "field": "公民身份号码", "kind": kind, "id_number": p["id_number"]})
        if rng.random() < DEFECT_RATES["duplicate_row"]:
            rows.append(list(row))
            defects.append({"row": len(rows), "field": "*", "kind": "duplicate_row", "id_number": p["id_number"]})
        if kind not in QUARANTINED_KINDS:
            clean.append(p)

    data = ddir / "hukou.csv"
    with data.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    manifest = {"department": "gongan", "resource": "gongan.hukou", "delivery_id": delivery_id,
                "delivered_at": delivered_at,
                "files": [{"name": data.name, "sha256": sha, "rows": len(rows), "format": "csv",
                           "encoding": "utf-8"}]}
    (ddir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")

    with (truth / "persons.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(clean[0]))
        w.writeheader()
        w.writerows(clean)
    with (truth / "defects.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in defects)
    counts: dict[str, int] = {}
    for d in defects:
        counts[d["kind"]] = counts.get(d["kind"], 0) + 1
    summary = {"delivery": str(ddir), "raw_rows": len(rows), "persons": persons,
               "expected_silver_rows": len(clean),
               "expected_quarantined_rows": sum(counts.get(k, 0) for k in QUARANTINED_KINDS),
               "expected_duplicate_rows": counts.get("duplicate_row", 0), "defects": counts}
    (truth / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary

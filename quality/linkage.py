"""`govlake oneid report --truth DIR`: OneID linking precision and recall against the generator's
ground truth (defects.jsonl names, for every damaged ID, the resource, delivery, row, column and the
clean value).

Persons: every injected unusable ID (wrong check character, missing) in a published batch's row is
one case: linked to the true person (true positive), linked to someone else (false positive), or left
unlinked (false negative). Entities: every injected legacy organisation code is a case, judged by
the USCC its code links to.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from govlake import catalogue, goldspec, lake
from govlake.config import Settings

PERSON_KINDS = ("bad_check_char", "missing_id")


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def truth_cases(truth: Path, cat, gold) -> tuple[list[dict], list[dict]]:
    """(person cases, entity cases) from defects.jsonl, restricted to mentioned ID columns."""
    person_cols = {(m.resource, m.id) for m in gold.persons()}
    entity_cols = {(m.resource, m.id) for m in gold.entities()}
    persons, entities = [], []
    with (truth / "defects.jsonl").open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            res = cat.resources.get(d["resource"])
            if res is None or d["field"] == "*":
                continue
            item = res.headers().get(d["field"])
            if item is None:
                continue
            case = {"resource": d["resource"], "role": item.name, "batch_id": f"{d['resource']}.{d['delivery']}",
                    "row": int(d["row"]), "kind": d["kind"], "clean": d["clean"]}
            if d["kind"] in PERSON_KINDS and (d["resource"], item.name) in person_cols:
                persons.append(case)
            elif d["kind"] == "legacy_org_code" and (d["resource"], item.name) in entity_cols:
                entities.append(case)
    return persons, entities


def figures(spark, s: Settings, truth: Path) -> dict:
    from govlake import uscc
    cat = catalogue.load()
    gold = goldspec.load(cat)
    persons, entities = truth_cases(truth, cat, gold)
    ledger = lake.read(spark, lake.path(s, "ops", "batch_ledger"))
    published = {r.batch_id for r in ledger.where("status = 'published'").select("batch_id").collect()}
    plinks = lake.read(spark, lake.path(s, "gold", "person_link"))
    elinks = lake.read(spark, lake.path(s, "gold", "entity_link"))
    if plinks is None or elinks is None:
        raise SystemExit("[govlake] 尚未构建 OneID（gold.person_link）：请先运行 govlake gold build")
    by_row = {(r.resource, r.role, r._batch_id, r._row_number): r
              for r in plinks.select("resource", "role", "_batch_id", "_row_number", "person_id", "linked",
                                     "reason").collect()}
    p = Counter()
    reasons = Counter()
    per_kind: dict[str, Counter] = {}
    for c in persons:
        if c["batch_id"] not in published:
            continue
        k = per_kind.setdefault(c["kind"], Counter())
        hit = by_row.get((c["resource"], c["role"], c["batch_id"], c["row"]))
        outcome = "fn" if hit is None or not hit.linked else ("tp" if hit.person_id == c["clean"] else "fp")
        p[outcome] += 1
        k[outcome] += 1
        if outcome == "fn":
            reasons[hit.reason if hit is not None else "未进入隔离区"] += 1
    code_to = {r.code: (r.entity_id, r.linked) for r in elinks.select("code", "entity_id", "linked").collect()}
    e = Counter()
    for c in entities:
        if c["batch_id"] not in published:
            continue
        org = uscc.org_code(c["clean"])
        eid, linked = code_to.get(f"{org[:8]}-{org[8]}", (None, False))
        e["fn" if not linked else ("tp" if eid == c["clean"] else "fp")] += 1

    def block(cnt: Counter) -> dict:
        return {"cases": sum(cnt.values()), "linked_correctly": cnt["tp"], "linked_wrongly": cnt["fp"],
                "unlinked": cnt["fn"], "precision": _ratio(cnt["tp"], cnt["tp"] + cnt["fp"]),
                "recall": _ratio(cnt["tp"], sum(cnt.values()))}
    return {"persons": block(p) | {"by_kind": {k: block(v) for k, v in per_kind.items()},
                                   "unlinked_reasons": dict(reasons.most_common())},
            "entities": block(e)}


def main(truth: str, json_out: str | None = None) -> int:
    from govlake.config import resolve
    from govlake.spark import get_spark
    s = resolve()
    spark = get_spark(s, app="govlake-oneid-report")
    try:
        f = figures(spark, s, Path(truth))
    finally:
        spark.stop()
    names = {"bad_check_char": "校验位错误", "missing_id": "证件号码缺失"}
    for label, b in (("自然人（证件号码不可用的记录）", f["persons"]), ("法人（旧组织机构代码）", f["entities"])):
        pr = "—" if b["precision"] is None else f"{b['precision']:.1%}"
        rc = "—" if b["recall"] is None else f"{b['recall']:.1%}"
        print(f"{label}：{b['cases']} 例，正确关联 {b['linked_correctly']}，错误关联 {b['linked_wrongly']}，"
              f"未关联 {b['unlinked']}；精确率 {pr}，召回率 {rc}")
    for kind, b in f["persons"]["by_kind"].items():
        rc = "—" if b["recall"] is None else f"{b['recall']:.1%}"
        print(f"  {names.get(kind, kind)}：{b['cases']} 例，召回率 {rc}")
    for reason, n in f["persons"]["unlinked_reasons"].items():
        print(f"  未关联原因「{reason}」：{n} 例")
    if json_out:
        Path(json_out).write_text(json.dumps(f, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0

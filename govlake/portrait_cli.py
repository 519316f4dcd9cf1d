"""`govlake portrait person ID` / `govlake portrait entity USCC`: a readable portrait through Trino.

Every lookup is audited (who, when, whom; the ID itself only masked and hashed) in
<instance>/audit/portrait_lookups.jsonl.
"""
from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import sys
from pathlib import Path

from govlake import ids, uscc
from govlake.config import Settings, resolve

TABLES = {"person": ("portrait.person_tags", "person_id"), "entity": ("portrait.entity_tags", "entity_id")}


def normalise(subject: str, raw: str) -> str:
    if subject == "person":
        return ids.normalise(raw) or ""
    return uscc.normalise(raw) or ""


def mask(value: str) -> str:
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:] if len(value) > 10 else "*" * len(value)


def audit(s: Settings, subject: str, key: str, found: bool) -> None:
    folder = Path(s.instance) / "audit"
    folder.mkdir(parents=True, exist_ok=True)
    entry = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "user": getpass.getuser(),
             "subject": subject, "id_masked": mask(key), "id_sha256": hashlib.sha256(key.encode()).hexdigest(),
             "found": found}
    with (folder / "portrait_lookups.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def lookup(conn, subject: str, key: str) -> tuple[dict | None, list[tuple]]:
    """(tag code -> value, or None when unknown; the dictionary rows: code, name_zh, category, sensitivity)."""
    table, col = TABLES[subject]
    if subject == "entity" and uscc.is_valid_org_code(key):
        cur = conn.cursor()
        cur.execute("SELECT entity_id FROM lake.gold.entity_link WHERE code = ? AND linked", [key])
        hit = cur.fetchall()
        key = hit[0][0] if hit else key
    cur = conn.cursor()
    cur.execute(f"SELECT * FROM lake.{table} WHERE {col} = ?", [key])
    rows = cur.fetchall()
    names = [d[0] for d in cur.description]
    cur = conn.cursor()
    cur.execute("SELECT code, name_zh, category, sensitivity FROM lake.portrait.tag_dictionary "
                "WHERE \"table\" = ? ORDER BY seq", [table])
    dictionary = cur.fetchall()
    return (dict(zip(names, rows[0])) if rows else None), dictionary


def _show(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "是" if v else "否"
    return str(v)


def group_by_category(dictionary: list[tuple]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Tags grouped by category, categories in the order they first appear, tags in dictionary order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name_zh, cat, _sens in dictionary:
        groups.setdefault(cat, []).append((code, name_zh))
    return list(groups.items())


def main(subject: str, raw: str, category: str | None = None) -> int:
    from govlake import trino_catalog
    s = resolve()
    key = normalise(subject, raw)
    valid = ids.is_valid(key) if subject == "person" else (uscc.is_valid_uscc(key) or uscc.is_valid_org_code(key))
    if not valid:
        what = "公民身份号码" if subject == "person" else "统一社会信用代码或组织机构代码"
        print(f"govlake: {raw!r} 不是有效的{what}", file=sys.stderr)
        return 2
    conn = trino_catalog.connect(s)
    try:
        tags, dictionary = lookup(conn, subject, key)
    except Exception as exc:  # Trino down or portraits not built yet
        print(f"govlake: 无法查询画像（{str(exc).splitlines()[0][:200]}）。请先 make up 并运行 govlake gold build",
              file=sys.stderr)
        return 2
    audit(s, subject, key, tags is not None)
    if tags is None:
        print(f"未找到 {mask(key)} 的画像（{'人口库' if subject == 'person' else '法人库'}中无此对象）")
        return 1
    title = tags.get("name") or tags.get("entity_name") or ""
    subject_id = tags.get(TABLES[subject][1]) or key   # a legacy code resolves to its USCC
    print(f"{'自然人' if subject == 'person' else '法人'}画像：{title}（{subject_id}）  计算时间 {tags.get('_computed_at')}，"
          f"参照日期 {tags.get('_as_of')}")
    shown = 0
    for cat, rows in group_by_category(dictionary):
        if category and cat != category:
            continue
        print(f"\n【{cat}】")
        for code, name_zh in rows:
            print(f"  {name_zh}：{_show(tags.get(code))}")
            shown += 1
    print(f"\n共 {shown} 个标签；本次查询已记入审计日志")
    return 0

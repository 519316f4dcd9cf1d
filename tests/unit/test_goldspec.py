"""The declarative gold layer: OneID mentions, golden dimensions, models and portrait tags."""
import shutil
from pathlib import Path

import pytest

from govlake import catalogue, goldspec
from govlake.catalogue import CatalogueError

LAKEHOUSE = Path(__file__).resolve().parents[2] / "lakehouse"


def _copy(tmp_path) -> Path:
    shutil.copytree(LAKEHOUSE, tmp_path / "lakehouse")
    return tmp_path / "lakehouse"


def _line(f: Path, text: str) -> int:
    return next(n for n, t in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if text in t)


def test_shipped_gold_layer_loads_with_over_100_tags_per_subject():
    cat = catalogue.load()
    gold = goldspec.load(cat)
    assert len(gold.tagsets["person"].tags) >= 100 and len(gold.tagsets["entity"].tags) >= 100
    person_categories = {t.category for t in gold.tagsets["person"].tags}
    assert {"人口属性", "户籍家庭", "婚姻生育", "教育", "就业", "社会保障", "住房资产", "信用", "政务服务",
            "生命事件"} <= person_categories
    assert {"登记信息", "规模", "纳税", "信用", "许可证照", "政务服务", "法定代表人", "关联企业"} <= \
        {t.category for t in gold.tagsets["entity"].tags}
    # every ID column the catalogue holds for people or entities is a OneID mention
    mentioned = {(m.resource, m.id) for m in gold.mentions}
    for res in cat.resources.values():
        for item in res.items:
            if cat.elements[item.element].normalise in ("citizen_id", "uscc", "party"):
                assert (res.code, item.name) in mentioned, (res.code, item.name)


def test_an_attribute_without_a_source_from_its_authority_is_refused(tmp_path):
    base = _copy(tmp_path)
    f = base / "gold" / "dimensions.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("      authority: weijian\n", "      authority: gongan\n"), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"dimensions\.yaml:\d+: attribute death_date: no source from its "
                                             "authoritative department 'gongan'"):
        goldspec.load(catalogue.load(base), base)


def test_unknown_columns_and_bad_tags_are_reported_with_file_and_line(tmp_path):
    base = _copy(tmp_path)
    f = base / "gold" / "oneid.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("id: head_id, name: head_name", "id: head_no, name: head_name"),
                 encoding="utf-8")
    with pytest.raises(CatalogueError, match=rf"oneid\.yaml:{_line(f, 'head_no')}: id 'head_no' is not a column of "
                                             "gongan.household"):
        goldspec.load(catalogue.load(base), base)
    shutil.rmtree(base)
    base = _copy(tmp_path)
    f = base / "portrait" / "person.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("{code: zodiac,", "{code: Zodiac,"), encoding="utf-8")
    with pytest.raises(CatalogueError, match=rf"person\.yaml:{_line(f, 'Zodiac')}: tag code 'Zodiac' must be"):
        goldspec.load(catalogue.load(base), base)
    # an unquoted SQL value with a comma: YAML would cut it there, the loader says so
    f.write_text(f.read_text(encoding="utf-8").replace('sql: "coalesce(rep.n, 0) > 0"}', "sql: coalesce(rep.n, 0) > 0}")
                 .replace("{code: Zodiac,", "{code: zodiac,"), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"person\.yaml:\d+: unknown key '0\) > 0'"):
        goldspec.load(catalogue.load(base), base)


def test_tag_query_joins_every_base_and_restricts_to_touched_subjects():
    from jobs import portrait
    gold = goldspec.load(catalogue.load())
    ts = gold.tagsets["person"]
    sql = portrait.query(ts, {"as_of": "DATE'2026-11-24'"})
    assert sql.count(f".`person_id` = p.`person_id`") == len(ts.bases) - 1
    assert "gold__dim_person" in sql and "gold.dim_person" not in sql and "${as_of}" not in sql
    assert f"AS `{ts.tags[-1].code}`" in sql
    inc = portrait.query(ts, {"as_of": "DATE'2026-11-24'"}, touched="__touched")
    assert inc.count("IN (SELECT subject_id FROM __touched)") == len(ts.bases)



def test_candidate_sources_are_numbered_in_spec_order_with_derivations_after_their_sources():
    from govlake.goldspec import Attribute, Dimension, Source
    from jobs.gold import numbered
    src = lambda r: Source(resource=r, key="id", value="v", department=r.split(".")[0])  # noqa: E731
    dim = Dimension(subject="person", table="dim_x", comment="测试", key="person_id", attributes=(
        Attribute("a", "甲", "string", "d1", (src("d1.r1"), src("d2.r2")), derive="substring(person_id, 1, 6)"),
        Attribute("b", "乙", "string", "d2", (src("d2.r2"), src("d3.r3")))))
    assert [(n, a.name, s.resource if s else None) for n, a, s in numbered(dim)] == \
        [(1, "a", "d1.r1"), (2, "a", "d2.r2"), (3, "a", None), (4, "b", "d2.r2"), (5, "b", "d3.r3")]


def test_tables_edited_in_place_carry_the_columns_their_definitions_make(tmp_path):
    """The full-rebuild check and the maintenance go through one list; a new tag changes the
    portrait table's expected columns, nothing else."""
    cat = catalogue.load()
    tables = {(t.schema, t.table): t for t in goldspec.load(cat).edited_in_place()}
    assert {("gold", "dim_person_history"), ("gold", "dim_legal_entity_conflict"),
            ("portrait", "person_tags"), ("portrait", "entity_tags")} <= set(tables)
    person = tables[("gold", "dim_person")]
    assert not person.long and {"person_id", goldspec.SOURCES} <= person.columns
    assert tables[("gold", "dim_person_history")].long
    base = _copy(tmp_path)
    f = base / "portrait" / "entity.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("{code: entity_name,", "{code: entity_name_renamed,", 1),
                 encoding="utf-8")
    after = {(t.schema, t.table): t for t in goldspec.load(cat, base).edited_in_place()}
    changed = [k for k in tables if tables[k] != after[k]]
    assert changed == [("portrait", "entity_tags")]
    assert {"entity_name_renamed"} == after[changed[0]].columns - tables[changed[0]].columns


def test_a_mart_listed_before_a_mart_it_reads_is_refused(tmp_path):
    """Marts are built in the listed order: one listed before a mart it reads would read that mart's
    previous build."""
    base = _copy(tmp_path)
    f = base / "mart" / "marts.yaml"
    text = f.read_text(encoding="utf-8")
    kpi = text.index("  - table: kpi\n")
    block = text[kpi:text.index("\n  - table:", kpi) + 1]
    f.write_text(text.replace(block, "").replace("  - table: data_sharing\n", block + "  - table: data_sharing\n"),
                 encoding="utf-8")
    lines = f.read_text(encoding="utf-8").splitlines()
    sql = next(n for n in range(_line(f, "table: kpi"), len(lines) + 1) if lines[n - 1].strip().startswith("sql:"))
    with pytest.raises(CatalogueError, match=rf"marts\.yaml:{sql}: kpi reads "
                                             "mart.data_sharing, defined at or after it"):
        goldspec.load(catalogue.load(base), base)


def test_marts_reading_a_portrait_even_through_another_mart_wait_for_the_portraits(tmp_path):
    """An incremental build computes the marts that read no portrait while the portraits are computed;
    a mart reading a mart that reads a portrait waits too."""
    gold = goldspec.load(catalogue.load())
    early = [m.table for m in gold.marts_before_portraits()]
    reads = {m.table: {f"{a}.{b}" for a, b in goldspec.REF.findall(m.sql)} for m in gold.marts}
    assert "population" not in early and "kpi" in early, early
    assert early == [m.table for m in gold.marts if m.table in early]  # listed order kept
    assert not any(r.startswith("portrait.") for t in early for r in reads[t])
    base = _copy(tmp_path)
    f = base / "mart" / "marts.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("FROM mart.service_item WHERE level_group = '省级'",
                              "FROM mart.service_item CROSS JOIN (SELECT count(*) FROM mart.population) p "
                              "WHERE level_group = '省级'"), encoding="utf-8")
    after = [m.table for m in goldspec.load(catalogue.load(base), base).marts_before_portraits()]
    assert "kpi" not in after and set(after) == set(early) - {"kpi"}, after


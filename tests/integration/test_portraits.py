"""OneID, gold base databases and portraits over the sample province, built by the real
`govlake_gold` DAG, checked against the generator's ground truth, through Spark, Trino and the CLI.

(Named to run after test_pipeline.py: the incremental test adds a delivery the truth does not know.)"""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from govlake import ids, lake
from tests.integration.conftest import ROOT, employment_delivery, sh

pytestmark = pytest.mark.integration
GOVLAKE = str(ROOT / ".govlake/venv/project/bin/govlake")


def _truth_persons(truth_dir: Path) -> dict[str, dict]:
    with (truth_dir / "persons.csv").open(encoding="utf-8") as f:
        return {r["id_number"]: r for r in csv.DictReader(f)}


def _table(spark, settings, schema, table):
    df = lake.read(spark, lake.path(settings, schema, table))
    assert df is not None, f"{schema}.{table} was not built"
    return df


def _as_of(spark, settings) -> dt.date:
    ledger = _table(spark, settings, "ops", "batch_ledger")
    day = ledger.where("status = 'published'").agg({"data_date": "max"}).first()[0]
    return dt.date.fromisoformat(day) if isinstance(day, str) else day


def _years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_the_gold_dag_builds_every_base_database(built, spark, settings):
    out = built["dag_output"]
    assert "gold.dim_person" in out and "portrait.person_tags" in out, out[-3000:]
    for table in ("dim_person", "dim_person_history", "dim_legal_entity", "dim_legal_entity_history",
                  "fct_e_licence", "fct_credit_event", "dim_credit", "dim_service_item", "fct_case",
                  "fct_social_insurance", "person_link", "entity_link"):
        assert _table(spark, settings, "gold", table).count() > 0, table
    credit = _table(spark, settings, "gold", "dim_credit")
    assert credit.where("joint_discipline").count() > 0        # 失信被执行人 / 严重失信 carry the flag
    assert credit.where("joint_discipline AND NOT (dishonest OR black_list)").count() == 0


def test_oneid_links_unusable_ids_precisely(built, spark, settings, tmp_path):
    from quality import linkage
    f = linkage.figures(spark, settings, built["truth_dir"])
    p, e = f["persons"], f["entities"]
    assert p["cases"] > 20 and e["cases"] > 20, f
    assert p["precision"] == 1.0, f                       # never linked to the wrong person
    assert p["by_kind"]["bad_check_char"]["recall"] >= 0.9, f
    assert e["precision"] == 1.0 and e["recall"] >= 0.95, f
    unlinked = f["persons"]["unlinked_reasons"]
    assert all(reason for reason in unlinked), unlinked   # every unlinked mention says why
    # the command reports the same figures
    out = tmp_path / "oneid.json"
    proc = sh(GOVLAKE, "oneid", "report", "--truth", str(built["truth_dir"]), "--json", str(out), timeout=900)
    assert "精确率 100.0%" in proc.stdout, proc.stdout
    assert json.loads(out.read_text(encoding="utf-8")) == f


def test_golden_person_records_agree_with_the_truth(built, spark, settings):
    truth = _truth_persons(built["truth_dir"])
    dim = {r.person_id: r for r in _table(spark, settings, "gold", "dim_person").collect()}
    assert set(dim) <= set(truth)                          # no invented person
    in_hukou = {k for k, r in truth.items() if r["household_id"]}
    assert len(set(dim) & in_hukou) >= 0.9 * len(in_hukou)
    wrong = [(k, f) for k, r in dim.items() for f, want in
             (("name", truth[k]["name"]), ("sex_code", truth[k]["sex"]),
              ("birth_date", dt.date.fromisoformat(truth[k]["birth_date"]))) if getattr(r, f) != want]
    assert wrong == [], wrong[:10]
    # 一数一源: a person in the 户籍 snapshot has the name 公安 gave, and its provenance says so
    hist = _table(spark, settings, "gold", "dim_person_history")
    person = _table(spark, settings, "silver", "person").select("id_number")
    names = hist.where("attribute = 'name' AND is_current").join(
        person, hist.person_id == person.id_number).select("source_department", "source_resource", "_batch_id")
    assert {tuple(r)[:2] for r in names.distinct().collect()} == {("gongan", "gongan.hukou")}
    assert names.where("_batch_id IS NULL").count() == 0
    # the golden row's attribute_sources are the history's current source departments
    cur = hist.where("is_current").selectExpr("person_id", "attribute", "source_department AS department")
    golden = _table(spark, settings, "gold", "dim_person").selectExpr("person_id", "inline(attribute_sources)")
    assert golden.count() > len(dim)
    assert cur.exceptAll(golden).count() == 0 and golden.exceptAll(cur).count() == 0


def test_authority_wins_gaps_are_filled_and_disagreements_and_history_kept(spark):
    from jobs import gold
    d = dt.date
    v = spark.createDataFrame([
        ("A", "name", "张三", 1, 2, "renshe", "renshe.social_insurance", "b1", d(2026, 1, 1)),
        ("A", "name", "张叁", 0, 1, "gongan", "gongan.hukou", "b2", d(2026, 2, 1)),
        ("A", "name", "张叁", 0, 1, "gongan", "gongan.hukou", "b3", d(2026, 3, 1)),
        ("B", "name", "李四", 1, 2, "renshe", "renshe.social_insurance", "b1", d(2026, 1, 1)),
        ("C", "sex_code", "1", 99, 9, "推导", "person_id推导", None, d(1900, 1, 1)),
        ("C", "sex_code", "2", 0, 1, "gongan", "gongan.hukou", "b2", d(2026, 2, 1)),
    ], "subject_id string, attribute string, value string, rank int, src int, department string, resource string, "
       "_batch_id string, valid_from date")
    h = gold.timeline(v, [0, 1, 99]).orderBy("subject_id", "valid_from").collect()
    a = [(r.value, r.source_department, r.valid_from, r.valid_to, r.is_current) for r in h if r.subject_id == "A"]
    assert a == [("张三", "renshe", d(2026, 1, 1), d(2026, 2, 1), False),
                 ("张叁", "gongan", d(2026, 2, 1), None, True)]      # no new version when nothing changed
    assert [(r.value, r.source_department) for r in h if r.subject_id == "B"] == [("李四", "renshe")]
    c = [(r.value, r.source_department, r.valid_to) for r in h if r.subject_id == "C"]
    assert c == [("1", "推导", d(2026, 2, 1)), ("2", "gongan", None)]
    conf = gold.conflicts(v, gold.timeline(v, [0, 1, 99])).collect()
    assert [(r.subject_id, r.golden_value, r.other_value, r.other_department) for r in conf] == \
        [("A", "张叁", "张三", "renshe")]                                  # derived values are not conflicts


def test_a_build_diff_names_the_changed_subjects_columns_and_relations(spark):
    from jobs import gold
    schema = "person_id string, name string, household_id string, spouse_id string"
    before = spark.createDataFrame([("A", "张三", "H1", None), ("B", "李四", "H2", "C"), ("D", None, "H3", None)], schema)
    now = spark.createDataFrame([("A", "张三", "H9", None), ("B", "李四", "H2", "C"), ("D", None, "H3", None),
                                 ("E", "王五", "H4", None)], schema)
    d = gold.diff(before, now, "person_id", ("household_id", "spouse_id"))
    assert d.subjects == ["A", "E"] and d.columns == set(now.columns)          # E gained its row: every column
    assert d.carried == {"household_id": {"H1", "H9", "H4"}, "spouse_id": set()}
    d = gold.diff(before, now.where("person_id != 'E'"), "person_id", ("spouse_id",))
    assert (d.subjects, d.columns, d.carried) == (["A"], {"household_id"}, {"spouse_id": set()})
    nameless = now.where("person_id != 'E'").selectExpr("person_id", "'x' AS name", "household_id", "spouse_id")
    assert gold.diff(before, nameless, "person_id").columns == {"name", "household_id"}   # NULL -> 'x' counts
    assert gold.diff(before, before, "person_id") == gold.Diff([], set(), {})
    assert gold.diff(None, None, "person_id").subjects == []


def test_entity_status_history_answers_as_of_queries(built, spark, settings):
    hist = _table(spark, settings, "gold", "dim_legal_entity_history").where("attribute = 'status'")
    changed = hist.groupBy("entity_id").count().where("count > 1").select("entity_id")
    rows = hist.join(changed, "entity_id").orderBy("entity_id", "valid_from").collect()
    assert rows, "no status change reached the history"
    first = rows[0].entity_id
    versions = [r for r in rows if r.entity_id == first]
    change = versions[1].valid_from

    def as_of(day):
        return [r.value for r in versions if r.valid_from <= day and (r.valid_to is None or day < r.valid_to)]
    assert as_of(change - dt.timedelta(days=1)) == [versions[0].value]
    assert as_of(change) == [versions[1].value] and versions[0].value != versions[1].value
    changes = _table(spark, settings, "silver", "entity_status_change").where(f"uscc = '{first}'")
    assert change in {r.change_date for r in changes.collect()} | {r._data_date for r in changes.collect()}


def test_portraits_hold_over_100_tags_that_agree_with_the_truth(built, spark, settings):
    truth = _truth_persons(built["truth_dir"])
    as_of = _as_of(spark, settings)
    tags = _table(spark, settings, "portrait", "person_tags")
    assert len(tags.columns) > 100 and tags.count() == _table(spark, settings, "gold", "dim_person").count()
    bad_age = bad_head = 0
    for r in tags.select("person_id", "age", "is_household_head", "deceased").collect():
        t = truth[r.person_id]
        if r.deceased is False and r.age != _years(dt.date.fromisoformat(t["birth_date"]), as_of):
            bad_age += 1
        if t["household_id"] and r.is_household_head != (t["relation"] == "户主"):
            bad_head += 1
    assert bad_age == 0 and bad_head <= 0.02 * len(truth)
    # an entity's insured staff, counted independently from silver, a legacy organisation code
    # (XXXXXXXX-X) resolved to its USCC through the truth rather than through OneID
    with (built["truth_dir"] / "entities.csv").open(encoding="utf-8") as f:
        legacy = {f"{r['uscc'][8:16]}-{r['uscc'][16]}": r["uscc"] for r in csv.DictReader(f)}
    si = _table(spark, settings, "silver", "social_insurance").where("status = '正常参保'")
    staff: dict[str, set] = {}
    for r in si.select("employer_uscc", "id_number").collect():
        staff.setdefault(legacy.get(r.employer_uscc, r.employer_uscc), set()).add(r.id_number)
    want = {k: len(v) for k, v in staff.items()}
    assert any(k in legacy for k in {r.employer_uscc for r in si.select("employer_uscc").collect()})
    ent = _table(spark, settings, "portrait", "entity_tags")
    assert len(ent.columns) > 100
    got = {r.entity_id: r.insured_staff for r in ent.where("insured_staff > 0").collect()}
    assert got and all(want.get(k) == n for k, n in got.items() if k in want)
    assert sum(1 for k in got if k in want) >= 0.9 * len(got)


def test_portrait_command_prints_a_readable_audited_portrait(built, spark, settings):
    row = _table(spark, settings, "portrait", "person_tags").where("employed AND NOT deceased").first()
    audit = Path(settings.instance) / "audit" / "portrait_lookups.jsonl"
    before = audit.read_text(encoding="utf-8").count("\n") if audit.exists() else 0
    out = sh(GOVLAKE, "portrait", "person", row.person_id.lower(), timeout=300).stdout
    assert f"姓名：{row.name}" in out and f"年龄：{row.age}" in out and "【社会保障】" in out, out
    lines = audit.read_text(encoding="utf-8").splitlines()
    assert len(lines) == before + 1 and row.person_id not in lines[-1] and json.loads(lines[-1])["found"]
    # a legal entity by its legacy organisation code
    link = _table(spark, settings, "gold", "entity_link").where("linked").first()
    name = _table(spark, settings, "portrait", "entity_tags").where(f"entity_id = '{link.entity_id}'").first().entity_name
    out = sh(GOVLAKE, "portrait", "entity", link.code.replace("-", ""), timeout=300).stdout
    assert f"单位名称：{name}" in out and link.entity_id in out, out
    miss = sh(GOVLAKE, "portrait", "person", "11010519491231002X", check=False, timeout=300)
    assert miss.returncode == 1 and "未找到" in miss.stdout


def test_gold_and_portraits_are_in_trino_with_chinese_comments(built, trino_query):
    [(n,)] = trino_query("SELECT count(*) FROM lake.portrait.person_tags")
    assert n > 0
    [(tags,)] = trino_query("SELECT count(*) FROM lake.portrait.tag_dictionary")
    assert tags >= 200
    cols = {r[0]: r[3] for r in trino_query("SHOW COLUMNS FROM lake.portrait.person_tags")}
    assert cols["age"] == "年龄" and cols["joint_discipline"] == "是否联合惩戒对象"
    [(comment,)] = trino_query("SELECT comment FROM system.metadata.table_comments WHERE catalog_name = 'lake' "
                               "AND schema_name = 'gold' AND table_name = 'dim_person'")
    assert comment.startswith("人口库")
    # each attribute's source department, from the golden row (the README's query)
    who = "(SELECT min(person_id) FROM lake.gold.dim_person)"
    sources = trino_query("SELECT s.attribute, s.department FROM lake.gold.dim_person "
                          f"CROSS JOIN UNNEST(attribute_sources) AS s (attribute, department) WHERE person_id = {who}")
    current = trino_query("SELECT attribute, source_department FROM lake.gold.dim_person_history "
                          f"WHERE is_current AND person_id = {who}")
    assert sources and sorted(map(tuple, sources)) == sorted(map(tuple, current))


def _death_delivery(settings, person_id: str, name: str, day: dt.date, miskeyed: tuple[str, str],
                    stranger: str) -> None:
    """One death, one more whose ID has a wrong check character (quarantined; OneID links it), and
    the death of someone no department has mentioned before (a new golden row, built whole)."""
    from govlake.province.writer import DeliveryWriter
    folder = Path(settings.landing) / "weijian" / "death" / f"{day:%Y%m%d}-901"
    w = DeliveryWriter(folder, "death", "csv", "gbk", ["公民身份号码", "姓名", "死亡日期", "死亡原因分类", "死亡地行政区划"])
    w.write([person_id, name, f"{day:%Y/%m/%d}", "疾病", person_id[:6]])
    bad_id, bad_name = miskeyed
    w.write([bad_id[:17] + ("0" if bad_id[17] != "0" else "1"), bad_name, f"{day:%Y/%m/%d}", "疾病", bad_id[:6]])
    w.write([stranger, "过客甲", f"{day:%Y/%m/%d}", "意外", stranger[:6]])
    w.close({"department": "weijian", "department_zh": "省卫生健康委员会", "resource": "weijian.death",
             "resource_zh": "死亡医学证明信息", "delivery_id": folder.name, "mode": "incremental",
             "data_date": day.isoformat(), "delivered_at": f"{day + dt.timedelta(days=1)}T08:00:00+08:00",
             "header_style": "zh"})


def test_a_delivery_recomputes_only_the_subjects_it_touches(built, spark, settings):
    from govlake import catalogue
    from jobs import gold, ingest
    tags = _table(spark, settings, "portrait", "person_tags")
    [who, miskeyed] = tags.where("NOT deceased AND age >= 30 AND legal_rep_count = 0") \
        .orderBy("person_id").limit(2).collect()
    spouse = _table(spark, settings, "gold", "dim_person").where(f"person_id = '{who.person_id}'").first().spouse_id
    # someone the death cannot reach: another household, not the spouse
    other = tags.where(f"household_id <> '{who.household_id}' AND person_id <> '{spouse}' "
                       f"AND person_id <> '{miskeyed.person_id}'").orderBy("person_id").first()
    other_at = other._computed_at
    n_tags = tags.count()  # counted now: a DataFrame over a Delta path reads the newest version at every action
    # Delivered for the current data date (a second delivery that day): the date-relative tags of the
    # subjects not recomputed stay exact, so the next test can compare with a full build.
    day = _as_of(spark, settings)
    known = {r.person_id for r in _table(spark, settings, "gold", "person_registry").select("person_id").collect()}
    stranger = next(x for x in (f"{who.person_id[:14]}{n:03d}" for n in range(999, 0, -1)) if x not in known)
    stranger += ids.check_char(stranger)
    _death_delivery(settings, who.person_id, who.name, day, (miskeyed.person_id, miskeyed.name), stranger)
    cat = catalogue.load()
    ingest.run_in(spark, settings, cat, [cat.resource("weijian.death")])
    result = gold.run(spark, settings, cat)
    assert result["incremental"] and result["new_batches"] == 1
    assert result["named"] == {"person": 2, "entity": 0}, result
    # the portraits reading the deceased: the household's members and the spouse
    mates = _table(spark, settings, "gold", "dim_person").where(
        f"household_id = '{who.household_id}' OR person_id = '{spouse}' OR spouse_id = '{who.person_id}'") \
        .select("person_id").distinct().count()
    assert result["touched"]["person"] == max(mates, 1) + 1, result  # + the stranger
    assert "fct_family_event" in result["models"] and "fct_case" not in result["models"]
    # OneID relinks persons (a new quarantined mention, a new person); the entity links, with no
    # legacy code delivered and no new entity, are kept as they are (the next test compares them
    # with a full build's)
    assert "gold.person_link" in result["oneid_written"] and "gold.entity_link" not in result["oneid_written"], result
    after = _table(spark, settings, "portrait", "person_tags")
    me = after.where(f"person_id = '{who.person_id}'").first()
    assert me.deceased and me.death_date == day and me.life_stage == "已故"
    assert after.where(f"person_id = '{other.person_id}'").first()._computed_at == other_at
    assert after.count() == n_tags + 1  # the stranger
    dim = _table(spark, settings, "gold", "dim_person").where(f"person_id = '{who.person_id}'").first()
    assert dim.death_date == day
    new = _table(spark, settings, "gold", "dim_person").where(f"person_id = '{stranger}'").first()
    assert (new.name, new.death_date, new.sex_code) == ("过客甲", day, ids.sex_code(stranger)), new
    assert after.where(f"person_id = '{stranger}'").first().deceased
    # nothing new: nothing to do, nothing changes
    again = gold.run(spark, settings, cat)
    assert again == {"skipped": True, "new_batches": 0}
    # the quarantined death with a wrong check character: linked by OneID's incremental pass
    link = _table(spark, settings, "gold", "person_link").where(
        f"resource = 'weijian.death' AND name = '{miskeyed.name}' AND _batch_id LIKE '%{day:%Y%m%d}-901'").collect()
    assert [(r.person_id, r.linked) for r in link] == [(miskeyed.person_id, True)], link


def test_an_employment_delivery_reaches_the_spouse_not_the_household(built, spark, settings):
    """A new employer is read by the spouse's portrait (是否双职工家庭), not by the other household
    members' (their household tags read birth and death dates): only the person and the spouse are
    recomputed. The next test but one holds the result against a full build."""
    from govlake import catalogue
    from jobs import gold, ingest
    _table(spark, settings, "gold", "dim_person").where("death_date IS NULL").createOrReplaceTempView("__alive")
    _table(spark, settings, "portrait", "person_tags").createOrReplaceTempView("__tags")
    x = spark.sql("""
        SELECT x.person_id, x.name, x.spouse_id, min(y.person_id) AS mate
        FROM __alive x JOIN __alive s ON s.person_id = x.spouse_id
        JOIN __alive y ON y.household_id = x.household_id AND y.person_id NOT IN (x.person_id, x.spouse_id)
        WHERE x.employer_uscc IS NULL AND y.person_id IN (SELECT person_id FROM __tags)
          AND s.person_id IN (SELECT person_id FROM __tags)
        GROUP BY 1, 2, 3 ORDER BY 1 LIMIT 1""").first()
    assert x is not None, "the sample has no unemployed married person sharing a household with another"
    employer = _table(spark, settings, "gold", "dim_legal_entity").where("entity_kind = '企业'") \
        .orderBy("entity_id").first().entity_id
    tags = _table(spark, settings, "portrait", "person_tags")
    at = {r.person_id: r._computed_at for r in tags.where(f"person_id IN ('{x.spouse_id}', '{x.mate}')").collect()}
    day = _as_of(spark, settings)
    employment_delivery(settings, day, "902", x.person_id, x.name, employer)
    cat = catalogue.load()
    ingest.run_in(spark, settings, cat, [cat.resource("renshe.employment")])
    result = gold.run(spark, settings, cat)
    assert result["incremental"] and result["named"] == {"person": 1, "entity": 1}, result
    assert _table(spark, settings, "gold", "dim_person").where(f"person_id = '{x.person_id}'").first() \
        .employer_uscc == employer
    spouses = {x.person_id, x.spouse_id} | {r.person_id for r in _table(spark, settings, "gold", "dim_person")
                                            .where(f"spouse_id = '{x.person_id}'").select("person_id").collect()}
    assert result["touched"] == {"person": len(spouses), "entity": 1}, result
    after = _table(spark, settings, "portrait", "person_tags")
    assert after.where(f"person_id = '{x.person_id}'").first().employer_id == employer
    assert after.where(f"person_id = '{x.spouse_id}'").first()._computed_at != at[x.spouse_id]
    assert after.where(f"person_id = '{x.mate}'").first()._computed_at == at[x.mate]


def test_maintenance_rewrites_the_tables_builds_edited_in_place_keeping_their_rows(built, spark, settings):
    """After the incremental builds above, `govlake lake maintain --every 1` rewrites each golden and
    portrait table they merged into, row for row; a second run finds nothing to do."""
    from delta.tables import DeltaTable
    from govlake import catalogue, goldspec
    from jobs import maintain
    edited = [(t.schema, t.table) for t in goldspec.load(catalogue.load()).edited_in_place()
              if maintain.edits_since_rewrite(spark, lake.path(settings, t.schema, t.table)) > 0]
    assert ("gold", "dim_person") in edited and ("portrait", "person_tags") in edited, edited
    before = {t: _table(spark, settings, *t).localCheckpoint() for t in edited}
    out = sh(GOVLAKE, "lake", "maintain", "--every", "1", timeout=900).stdout
    for schema, table in edited:
        assert f"{schema}.{table}: 自上次整理以来就地修改" in out, out[-3000:]
        loc = lake.path(settings, schema, table)
        assert maintain.edits_since_rewrite(spark, loc) == 0
        assert DeltaTable.forPath(spark, loc).history(1).first().operation == "WRITE"
        now = _table(spark, settings, schema, table)
        a = before[(schema, table)]
        assert a.exceptAll(now).count() == 0 and now.exceptAll(a).count() == 0, (schema, table)
    again = sh(GOVLAKE, "lake", "maintain", "--every", "1", timeout=900).stdout
    assert "无需整理" in again and "自上次整理以来就地修改" not in again, again[-2000:]


INCREMENTAL_TABLES = [("gold", t) for d in ("dim_person", "dim_legal_entity")
                      for t in (d, f"{d}_history", f"{d}_conflict")] + \
    [("gold", "person_link"), ("gold", "entity_link"), ("gold", "person_registry"), ("gold", "entity_registry"),
     ("portrait", "person_tags"), ("portrait", "entity_tags")]


def test_an_incremental_build_leaves_what_a_full_build_makes(built, spark, settings):
    """After the incremental build above, a full rebuild of the same lake changes no row of OneID,
    the base databases, the portraits or the marts (those the incremental build kept included)."""
    from govlake import catalogue, goldspec
    from jobs import gold
    cat = catalogue.load()
    tables = INCREMENTAL_TABLES + [("mart", m.table) for m in goldspec.load(cat).marts]

    def snapshot():
        return {t: _table(spark, settings, *t).drop("_computed_at").localCheckpoint() for t in tables}
    incremental = snapshot()
    assert gold.run(spark, settings, cat, full=True)["incremental"] is False
    full = snapshot()
    for t in tables:
        a, b = incremental[t], full[t].select(*incremental[t].columns)
        only_inc, only_full = a.exceptAll(b), b.exceptAll(a)
        assert only_inc.count() == 0 and only_full.count() == 0, (t, _differences(only_inc, only_full))


def _differences(only_inc, only_full) -> list:
    """For the first rows only one side has: the columns that differ from the other side's row with
    the same key (the first column)."""
    key = only_inc.columns[0]
    other = {r[key]: r.asDict() for r in only_full.limit(200).collect()}
    out = []
    for r in only_inc.limit(3).collect():
        o = other.get(r[key])
        out.append({key: r[key], **({c: (v, o[c]) for c, v in r.asDict().items() if o[c] != v} if o else {"only": "incremental"})})
    return out or [r.asDict() for r in only_full.limit(3).collect()]

"""Which tags an incremental build recomputes, from what it changed (jobs.portrait.stale)."""
import pytest

from govlake import catalogue, goldspec
from govlake.goldspec import Tag, TagSet
from jobs import portrait


@pytest.fixture(scope="module")
def person() -> TagSet:
    return goldspec.load(catalogue.load()).tagsets["person"]


def _codes(ts: TagSet, changes: dict) -> set[str]:
    return {t.code for t in portrait.stale(ts, changes)}


def test_a_changed_column_recomputes_the_tags_reading_it_and_keeps_the_others(person):
    stale = _codes(person, {"gold.dim_person": {"employer_uscc"}})
    # `p` passes dim_person through: its tags reading employer_uscc, not its other columns
    assert {"employed", "employer_id", "dual_income"} <= stale
    assert not {"sex", "zodiac", "ethnicity_code", "school_stage", "household_id"} & stale
    # `emp` and `sp` read employer_uscc by name; `rg` (region codes) and `si` (a fact table) do not
    assert {"employer_name", "employer_kind"} <= stale
    assert not {"region_name", "city_name"} & stale
    # date-relative tags are recomputed for every subject the build reaches
    assert {"is_minor", "is_elderly"} <= stale


def test_nothing_changed_leaves_only_the_date_relative_tags(person):
    stale = portrait.stale(person, {})
    assert stale and all("${" in t.sql or any("${" in person.bases[b] for b in person.bases
                                                if f"{b}." in t.sql) for t in stale)


def test_a_whole_table_change_recomputes_every_tag_of_its_readers(person):
    stale = _codes(person, {"gold.dim_person": None})
    assert {"sex", "employer_name", "region_name", "household_size"} <= stale
    assert "region_name" not in _codes(person, {"gold.fct_employment": None})


def test_a_base_outside_gold_and_silver_is_always_stale():
    ts = TagSet("person", "person_tags", "", "person_id",
                {"p": "SELECT * FROM gold.dim_person", "q": "SELECT person_id, n FROM ops.something"},
                (Tag("a", "甲", "类", "string", "p.sex_code", 1), Tag("b", "乙", "类", "int", "q.n", 1)))
    assert [t.code for t in portrait.stale(ts, {})] == ["b"]
    assert [t.code for t in portrait.stale(ts, {"gold.dim_person": {"sex_code"}})] == ["a", "b"]


def test_a_reader_depends_only_on_the_columns_it_names():
    from jobs.gold import may_read
    sql = "SELECT coalesce(city_name, '未知') AS city_name, count(*) FROM portrait.person_tags WHERE NOT deceased GROUP BY 1"
    assert not may_read(sql, {"employed", "_as_of", "_computed_at"})
    assert may_read(sql, {"deceased"}) and may_read(sql, None)
    assert may_read("SELECT * FROM portrait.person_tags", {"employed"})
    assert may_read("SELECT p.*, t.x FROM portrait.person_tags p JOIN t", {"employed"})


def test_an_employment_delivery_leaves_the_credit_mart_but_not_the_population_mart(person):
    """The portrait columns an employment delivery recomputes reach the population mart (employed)
    and not the credit-event mart (regions and industries only)."""
    from jobs.gold import may_read
    gold = goldspec.load(catalogue.load())
    cols = {t.code for t in portrait.stale(person, {"gold.dim_person": {"employer_uscc"},
                                                    "gold.fct_employment": None})} | {"_as_of", "_computed_at"}
    marts = {m.table: m.sql for m in gold.marts}
    assert may_read(marts["population"], cols)
    assert not may_read(marts["credit_event"], cols)

"""Which relations an incremental build follows from a changed subject (jobs.gold.reads_through)."""
import pytest

from govlake import catalogue, goldspec
from jobs.gold import reads_through

EMPLOYMENT = {"gold.dim_person": {"employer_uscc", "attribute_sources"}, "gold.fct_employment": None,
              "silver.employment": None}


@pytest.fixture(scope="module")
def gold() -> goldspec.Gold:
    return goldspec.load(catalogue.load())


def test_an_employer_change_reaches_the_spouse_not_the_household(gold):
    cols = EMPLOYMENT["gold.dim_person"]
    assert reads_through(gold, "person", "spouse_id", "person", cols, EMPLOYMENT)  # 配偶工作单位
    assert not reads_through(gold, "person", "household_id", "person", cols, EMPLOYMENT)
    # nor the entities the person represents or works for: they read the person's birth, sex, death
    assert not reads_through(gold, "entity", "rep_id", "person", cols, EMPLOYMENT)
    assert not reads_through(gold, "entity", "employer_id", "person", cols, EMPLOYMENT)


def test_a_death_reaches_the_household_and_the_entities_not_the_spouse(gold):
    cols, changes = {"death_date"}, {"gold.dim_person": {"death_date"}, "gold.fct_family_event": None}
    assert reads_through(gold, "person", "household_id", "person", cols, changes)  # 同户老人、未成年人
    assert reads_through(gold, "entity", "rep_id", "person", cols, changes)  # 法定代表人已故
    assert reads_through(gold, "entity", "employer_id", "person", cols, changes)  # 参保职工已故
    assert not reads_through(gold, "person", "spouse_id", "person", cols, changes)


def test_a_record_gained_or_a_relation_table_changed_follows_the_relation(gold):
    assert reads_through(gold, "person", "household_id", "person", None, {})  # any column
    changes = {"gold.dim_person": {"address"}, "gold.dim_household": None}
    assert reads_through(gold, "person", "household_id", "person", {"address"}, changes)
    assert not reads_through(gold, "person", "household_id", "person", {"address"}, {"gold.dim_person": {"address"}})


def test_an_entity_change_reaches_its_representative_and_employees_by_what_they_read(gold):
    cols = {"status"}
    assert reads_through(gold, "person", "rep_id", "entity", cols, {})  # 名下存续企业数
    assert reads_through(gold, "entity", "rep_id", "entity", cols, {})  # 关联企业存续数
    assert not reads_through(gold, "person", "employer_uscc", "entity", cols, {})
    assert reads_through(gold, "person", "employer_uscc", "entity", {"industry_code"}, {})
    # a credit record is the subject's record too
    assert reads_through(gold, "person", "employer_uscc", "entity", {"joint_discipline"}, {})

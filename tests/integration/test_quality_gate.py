"""The Great Expectations gate: the silver suite fails on bad data and passes on good."""
import datetime as dt

import pytest

from govlake import catalogue
from quality.gate import Gate, silver_expectations

pytestmark = pytest.mark.integration
COLS = "id_number string, name string, sex_code string, birth_date date, ethnicity_code string, " \
       "region_code string, household_id string, address string, _batch_id string"
REGIONS = [("330102", None, None)]


def _rows(*pairs):
    return [(i, "王芳", s, dt.date(1949, 12, 31), "01", "330102", "H1", "杭州", "b1") for i, s in pairs]


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    return Gate(tmp_path_factory.mktemp("gx"))


def test_silver_suite_passes_on_good_rows(spark, gate):
    cat = catalogue.load()
    res = cat.resource("gongan.hukou")
    df = spark.createDataFrame(_rows(("11010519491231002X", "2"), ("110105194912310011", "1")), COLS)
    rows = gate.run_suite("t.silver", silver_expectations(cat, res, "2026-11-22", REGIONS), df, "fail")
    assert rows and all(r["success"] for r in rows)
    assert {(r["element_count"], r["unexpected_count"]) for r in rows} == {(2, 0)}


def test_silver_suite_fails_on_bad_rows(spark, gate):
    cat = catalogue.load()
    res = cat.resource("gongan.hukou")
    df = spark.createDataFrame(_rows(("11010519491231002X", "2"), ("11010519491231002X", "2"),
                                     ("1101051949123100", "男")), COLS)
    rows = gate.run_suite("t.silver", silver_expectations(cat, res, "2026-11-22", REGIONS), df, "fail")
    failed = {(r["expectation"], r["column"]) for r in rows if not r["success"]}
    assert failed == {("expect_compound_columns_to_be_unique", None),
                      ("expect_column_values_to_match_regex", "id_number"),
                      ("expect_column_values_to_be_in_set", "sex_code")}
    counts = {(r["expectation"], r["column"]): r["unexpected_count"] for r in rows}
    assert counts[("expect_column_values_to_be_in_set", "sex_code")] == 1
    assert counts[("expect_column_values_to_match_regex", "id_number")] == 1
    assert counts[("expect_column_values_to_not_be_null", "id_number")] == 0

"""Spark transforms on small inline batches: normalisation, checks, duplicates, SQL twins of ids."""
import datetime as dt

import pytest

from govlake import catalogue, ids
from jobs import standardise

pytestmark = pytest.mark.integration
HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "民族", "户籍地行政区划", "户号", "住址"]


def _bronze(spark, rows):
    data = [tuple(r) + (i + 1, "b1", f"h{i}", "raw/x.csv", dt.date(2026, 11, 22)) for i, r in enumerate(rows)]
    return spark.createDataFrame(data, ", ".join(f"`{h}` string" for h in HEADER)
                                 + ", _row_number int, _batch_id string, _row_hash string, _source_file string, "
                                   "_data_date date")


REGIONS = [("330102", None, None), ("330104", None, "2021-03-11"), ("330114", "2021-03-11", None)]


def _person(id18, sex="2", born="1949-12-31"):
    return [id18, "王芳", sex, born, "01", "330102", "H1", "杭州市上城区"]


def test_id_sql_matches_python(spark):
    samples = ["11010519491231002X", "110105194912310021", "110105491231002", " １１０１０５１９４９１２３１００２ｘ",
               "", None, "abc", "110105199902300010"]
    rows = spark.createDataFrame([(s,) for s in samples], "x string").selectExpr(
        "x", f"{ids.normalise_sql('x')} AS n").selectExpr("x", "n", f"{ids.check_ok_sql('n')} AS ok").collect()
    for r in rows:
        assert r.n == ids.normalise(r.x), r.x
        expected = r.n is not None and len(r.n) == 18 and r.n[:17].isdigit() and ids.check_char(r.n[:17]) == r.n[17]
        assert r.ok == expected, r.x


def test_standardise_repairs_flags_and_deduplicates(spark):
    cat = catalogue.load()
    res = cat.resource("gongan.hukou")
    good = "11010519491231002X"
    man = "11010519800101001" + ids.check_char("11010519800101001")  # sequence digit 1: male
    rows = [
        _person(good, sex="女", born="1949年12月31日"),               # accepted, code and date mapped
        _person(" 110105491231002 ", born="19491231"),                 # same person as 15-digit: duplicate
        _person("110105194912310021"),                                 # wrong check character
        _person(""),                                                   # missing ID
        _person(man, sex="2", born="1980-01-01"),     # sex disagrees with the ID
        _person(man, sex="1", born="1980/1/1"),       # accepted
    ]
    std = standardise.standardise(_bronze(spark, rows), cat, res, REGIONS).orderBy("_row_number").collect()
    assert [r._accepted for r in std] == [True, False, False, False, False, True]
    assert [r._duplicate for r in std] == [False, True, False, False, False, False]
    assert std[0].sex_code == "2" and std[0].birth_date == dt.date(1949, 12, 31)
    assert std[1].id_number == good
    assert std[2]._reasons == ["公民身份号码格式或校验位错误"]
    assert std[3]._reasons == ["公民身份号码为空"]
    assert std[4]._reasons == ["性别与公民身份号码不一致"]
    q = standardise.quarantine_rows(standardise.standardise(_bronze(spark, rows), cat, res, REGIONS), res)
    assert q.count() == 3
    assert '"公民身份号码":"110105194912310021"' in q.where("_row_number = 3").first().record


def test_conflicting_records_for_one_key_keep_the_first(spark):
    cat = catalogue.load()
    res = cat.resource("gongan.hukou")
    a = _person("11010519491231002X")
    b = list(a)
    b[1] = "王小芳"
    std = standardise.standardise(_bronze(spark, [a, b]), cat, res, REGIONS).orderBy("_row_number").collect()
    assert [r._accepted for r in std] == [True, False]
    assert "重复且内容不一致" in std[1]._reasons[0]


def test_region_codes_are_checked_against_the_record_date(spark):
    on = ["2020-01-01", "2026-11-22"]
    df = spark.createDataFrame([(c, dt.date.fromisoformat(d)) for c in ("330104", "330114", "330102", "110105")
                                for d in on], "c string, d date")
    got = {(r.c, str(r.d)): r.ok for r in df.selectExpr(
        "c", "d", f"{standardise.region_valid_sql('c', 'd', REGIONS)} AS ok").collect()}
    assert got == {("330104", on[0]): True, ("330104", on[1]): False, ("330114", on[0]): False,
                   ("330114", on[1]): True, ("330102", on[0]): True, ("330102", on[1]): True,
                   ("110105", on[0]): False, ("110105", on[1]): False}


def test_uscc_sql_matches_python(spark):
    from govlake import uscc
    good = uscc.make_uscc("9", "1", "330102", "MA2ABC12")
    samples = [good, good.lower(), good[:17] + ("0" if good[17] != "0" else "1"), " " + good + " ",
               uscc.org_code(good), uscc.org_code(good)[:8] + "-" + uscc.org_code(good)[8], "123", None]
    rows = spark.createDataFrame([(x,) for x in samples], "x string").selectExpr(
        "x", f"{uscc.normalise_sql('x')} AS n").selectExpr(
        "x", "n", f"{uscc.check_ok_sql('n')} AS ok", f"{uscc.legacy_ok_sql('n')} AS legacy").collect()
    for r in rows:
        assert r.n == uscc.normalise(r.x), r.x
        assert r.ok == uscc.is_valid_uscc(r.n), r.x
        assert r.legacy == (r.n is not None and len(r.n) == 10 and uscc.is_valid_org_code(r.n)), r.x

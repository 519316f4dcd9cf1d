"""The batch gate (severity fail) from a batch's scorecard counts."""
from govlake import catalogue
from jobs.standardise import Check
from quality.gate import batch_failures


def _card(rows, quarantined, duplicates=0, failures=None):
    return {"rows": rows, "quarantined": quarantined, "duplicates": duplicates, "failures": failures or {}}


def test_a_mostly_quarantined_batch_is_held_back_but_a_tiny_one_is_not():
    res = catalogue.load().resource("gongan.hukou")
    problems, rows = batch_failures(res, _card(100, 60), [])
    assert problems == ["隔离比例 60.0% 超过上限 50%"] and not rows[1]["success"]
    assert batch_failures(res, _card(100, 40), [])[0] == []
    assert batch_failures(res, _card(1, 1), [])[0] == []     # one bad row of one: quarantined, day goes on


def test_a_broken_fail_rule_holds_the_batch_and_an_empty_snapshot_is_refused():
    res = catalogue.load().resource("zwfw.service_item")
    checks = [Check("promised_within_legal", "承诺办结时限超过法定办结时限", "x", "fail")]
    problems, _ = batch_failures(res, _card(72, 0, failures={"promised_within_legal": 2}), checks)
    assert problems == ["承诺办结时限超过法定办结时限：2 行"]
    assert batch_failures(res, _card(72, 0, failures={"promised_within_legal": 0}), checks)[0] == []
    assert batch_failures(res, _card(0, 0), checks)[0] == ["行数 0 少于下限 1"]
    increments = catalogue.load().resource("weijian.birth")
    assert batch_failures(increments, _card(0, 0), [])[0] == []

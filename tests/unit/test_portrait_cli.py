"""The portrait command's pure parts: ID normalisation and masking for the audit log."""
from govlake import ids
from govlake.portrait_cli import mask, normalise


def test_ids_are_normalised_before_the_lookup():
    first17 = "33010219800101123"
    full = first17 + ids.check_char(first17)
    assert normalise("person", f" {full.lower()} ") == full
    assert normalise("person", "330102800101123") == ids.normalise("330102800101123")   # 15 -> 18 digits
    assert normalise("entity", "ｍａ２ｘ５ｌ２ｋ-ｑ".upper()) == "MA2X5L2K-Q"


def test_the_audit_log_never_holds_a_whole_id():
    masked = mask("330102198001011234")
    assert masked == "330102********1234" and len(masked) == 18
    assert mask("12345") == "*****"


def test_tags_are_grouped_by_category_in_first_seen_order():
    from govlake.portrait_cli import group_by_category
    rows = [("a", "甲", "登记信息", 1), ("b", "乙", "数据质量", 1), ("c", "丙", "登记信息", 2)]
    assert group_by_category(rows) == [("登记信息", [("a", "甲"), ("c", "丙")]), ("数据质量", [("b", "乙")])]

import pytest

from govlake import uscc

# Published examples: 国家电网有限公司 and 腾讯科技（深圳）有限公司.
REAL = ["9111000071093123XX", "9144030071526726XG"]


@pytest.mark.parametrize("code", REAL)
def test_published_codes_are_valid(code):
    assert uscc.is_valid_uscc(code)
    assert uscc.is_valid_org_code(uscc.org_code(code))


def test_org_check_char_of_a_published_code():
    assert uscc.org_check_char("71093123") == "X"


def test_made_codes_round_trip_and_any_single_change_is_caught():
    code = uscc.make_uscc("9", "1", "330106", "MA2H3K4L")
    assert uscc.is_valid_uscc(code) and code[8:16] == "MA2H3K4L"
    for i in range(18):
        for repl in "0A":
            changed = code[:i] + repl + code[i + 1:]
            if changed != code:
                assert not uscc.is_valid_uscc(changed), (i, repl)


def test_symbols_outside_the_alphabet_are_invalid():
    code = uscc.make_uscc("5", "1", "330106", "12345678")
    assert not uscc.is_valid_uscc(code[:5] + "I" + code[6:])
    assert not uscc.is_valid_uscc(code.lower())


def test_registration_authority_and_type_must_be_known():
    assert not uscc.is_valid_uscc(uscc.make_uscc("9", "9", "330106", "12345678"))
    assert uscc.is_valid_uscc(uscc.make_uscc("N", "2", "330106", "12345678"))

import datetime as dt

import pytest

from govlake import ids


def test_check_char_of_the_standard_example():
    # The worked example of GB 11643-1999.
    assert ids.check_char("11010519491231002") == "X"
    assert ids.is_valid("11010519491231002X")


def test_wrong_check_char_is_invalid():
    assert not ids.is_valid("110105194912310021")


@pytest.mark.parametrize("raw", ["110105491231002", " 110105 491231002 "])
def test_legacy_15_digit_number_is_upgraded(raw):
    assert ids.normalise(raw) == "11010519491231002X"


def test_full_width_and_lowercase_x_are_normalised():
    assert ids.normalise("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


def test_birth_date_after_reference_date_is_invalid():
    first17 = "11010520300101001"
    assert not ids.is_valid(first17 + ids.check_char(first17), on=dt.date(2026, 11, 22))


def test_sex_from_sequence_digit():
    assert ids.sex_code("11010519491231002X") == "2"
    assert ids.sex_code("110105194912310011"[:16] + "1" + "X") == "1"

"""GB 11643 citizen identity numbers: pure-Python functions and the equivalent Spark SQL expressions.

The SQL builders return expression strings so per-row checks run inside Spark (no Python UDFs);
unit tests hold the Python and SQL versions to the same answers.
"""
from __future__ import annotations

import datetime as dt

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
FULL_WIDTH = "０１２３４５６７８９Ｘｘ"
HALF_WIDTH = "0123456789XX"


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {first17!r}")
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def normalise(raw: str | None) -> str | None:
    """Trim, drop inner whitespace, full-width to half-width, upper-case x, upgrade 15 to 18 digits."""
    if raw is None:
        return None
    s = "".join(raw.translate(str.maketrans(FULL_WIDTH, HALF_WIDTH)).split()).upper()
    if len(s) == 15 and s.isdigit():
        s17 = s[:6] + "19" + s[6:]
        return s17 + check_char(s17)
    return s or None


def is_valid(id18: str | None, on: dt.date | None = None) -> bool:
    """18 characters, valid birth date not after ``on``, correct check character."""
    if not id18 or len(id18) != 18 or not id18[:17].isdigit() or id18[17] not in "0123456789X":
        return False
    try:
        born = dt.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or (on is not None and born > on):
        return False
    return check_char(id18[:17]) == id18[17]


def sex_code(id18: str) -> str:
    """GB/T 2261.1 sex code from the sequence digit: odd 1 (男), even 2 (女)."""
    return "1" if int(id18[16]) % 2 else "2"


# --- Spark SQL ---------------------------------------------------------------------------------

def _weighted_sum_sql(col17: str) -> str:
    terms = " + ".join(f"try_cast(substring({col17}, {i + 1}, 1) AS INT) * {w}"
                       for i, w in enumerate(WEIGHTS))
    return f"(({terms}) % 11)"


def normalise_sql(col: str) -> str:
    """SQL twin of :func:`normalise`."""
    s = (f"nullif(upper(regexp_replace(translate({col}, '{FULL_WIDTH}', '{HALF_WIDTH}'), "
         f"'\\\\s', '')), '')")
    s17 = f"concat(substring({s}, 1, 6), '19', substring({s}, 7, 9))"
    return (f"CASE WHEN {s} RLIKE '^[0-9]{{15}}$' "
            f"THEN concat({s17}, substring('{CHECK_CHARS}', {_weighted_sum_sql(s17)} + 1, 1)) "
            f"ELSE {s} END")


def birth_date_sql(col: str) -> str:
    return f"CAST(try_to_timestamp(substring({col}, 7, 8), 'yyyyMMdd') AS DATE)"


def check_ok_sql(col: str) -> str:
    """True when an already-normalised ID has 18 characters and a correct check character."""
    return (f"coalesce({col} RLIKE '^[0-9]{{17}}[0-9X]$' AND "
            f"substring('{CHECK_CHARS}', {_weighted_sum_sql(col)} + 1, 1) = substring({col}, 18, 1), false)")


def sex_code_sql(col: str) -> str:
    return f"CASE WHEN try_cast(substring({col}, 17, 1) AS INT) % 2 = 1 THEN '1' ELSE '2' END"

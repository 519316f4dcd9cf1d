"""GB 32100 unified social credit codes (USCC) and the GB 11714 organisation codes inside them."""
from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, Z, S, V
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Registration authority (position 1) -> allowed organisation types (position 2), GB 32100 table 1.
AUTHORITIES = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 编办管理的群众团体, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "9": "123",   # 工商/市场监管: 企业, 个体工商户, 农民专业合作社
    "Y": "1",     # 其他
    "A": "19",    # 中央军委改革和编制办公室
    "N": "1239",  # 农业: 农村集体经济组织等
}


def org_check_char(body8: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    if len(body8) != 8:
        raise ValueError(f"expected 8 characters, got {body8!r}")
    total = sum(int(c, 36) * w for c, w in zip(body8.upper(), ORG_WEIGHTS))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc_check_char(first17: str) -> str:
    if len(first17) != 17 or any(c not in ALPHABET for c in first17):
        raise ValueError(f"expected 17 USCC symbols, got {first17!r}")
    c = 31 - sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS)) % 31
    return ALPHABET[0 if c == 31 else c]


def make_uscc(authority: str, org_type: str, region6: str, org_body8: str) -> str:
    org = org_body8 + org_check_char(org_body8)
    first17 = f"{authority}{org_type}{region6}{org}"
    return first17 + uscc_check_char(first17)


def is_valid_uscc(code: str | None) -> bool:
    if not code or len(code) != 18 or any(c not in ALPHABET for c in code):
        return False
    if code[0] not in AUTHORITIES or code[1] not in AUTHORITIES[code[0]]:
        return False
    if not code[2:8].isdigit() or org_check_char(code[8:16]) != code[16]:
        return False
    return uscc_check_char(code[:17]) == code[17]


def org_code(uscc: str) -> str:
    """The GB 11714 organisation code (9 characters) inside a USCC: links legacy records."""
    return uscc[8:17]


def is_valid_org_code(code: str | None) -> bool:
    if not code:
        return False
    code = code.replace("-", "").upper()
    return len(code) == 9 and code[:8].isalnum() and org_check_char(code[:8]) == code[8]


# --- Spark SQL twins ------------------------------------------------------------------------------

_FULL = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹａｂｃｄｅｆｇｈｊｋｌｍｎｐｑｒｔｕｗｘｙ－"
_HALF = "0123456789ABCDEFGHJKLMNPQRTUWXYabcdefghjklmnpqrtuwxy-"
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def normalise(raw: str | None) -> str | None:
    """Half-width, no whitespace, upper case; a legacy organisation code becomes `XXXXXXXX-X`."""
    if raw is None:
        return None
    s = "".join(raw.translate(str.maketrans(_FULL, _HALF)).split()).upper()
    if len(s) == 9 and s.isalnum():
        s = f"{s[:8]}-{s[8]}"
    return s or None


def normalise_sql(col: str) -> str:
    """SQL twin of :func:`normalise`."""
    s = f"nullif(upper(regexp_replace(translate({col}, '{_FULL}', '{_HALF}'), '\\\\s', '')), '')"
    return f"CASE WHEN {s} RLIKE '^[0-9A-Z]{{9}}$' THEN concat(substring({s}, 1, 8), '-', substring({s}, 9, 1)) ELSE {s} END"


def _org_check_sql(body8: str) -> str:
    total = " + ".join(f"(instr('{_BASE36}', substring({body8}, {i + 1}, 1)) - 1) * {w}"
                       for i, w in enumerate(ORG_WEIGHTS))
    c = f"(11 - ({total}) % 11)"
    return f"CASE {c} WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE CAST({c} AS STRING) END"


def check_ok_sql(col: str) -> str:
    """True when a normalised value is a valid USCC (authority, organisation and USCC check characters)."""
    total = " + ".join(f"(instr('{ALPHABET}', substring({col}, {i + 1}, 1)) - 1) * {w}"
                       for i, w in enumerate(WEIGHTS))
    check = f"substring('{ALPHABET}', (31 - ({total}) % 31) % 31 + 1, 1)"
    pairs = " OR ".join(f"({col} RLIKE '^{a}[{t}]')" for a, t in AUTHORITIES.items())
    return (f"coalesce({col} RLIKE '^[{ALPHABET}]{{2}}[0-9]{{6}}[{ALPHABET}]{{10}}$' AND ({pairs}) AND "
            f"{_org_check_sql(f'substring({col}, 9, 8)')} = substring({col}, 17, 1) AND "
            f"{check} = substring({col}, 18, 1), false)")


def legacy_ok_sql(col: str) -> str:
    """True when a normalised value is a valid legacy GB 11714 organisation code `XXXXXXXX-X`."""
    return (f"coalesce({col} RLIKE '^[0-9A-Z]{{8}}-[0-9X]$' AND "
            f"{_org_check_sql(f'substring({col}, 1, 8)')} = substring({col}, 10, 1), false)")

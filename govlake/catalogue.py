"""Loads and validates the resource catalogue (政务信息资源目录) and the data-element dictionary."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from govlake.config import ROOT

LAKEHOUSE = ROOT / "lakehouse"
NORMALISERS = {"citizen_id", "text", "code", "date"}
SEVERITIES = {"warn", "fail"}


class CatalogueError(ValueError):
    """The catalogue is inconsistent; the message names the file and the key."""


@dataclass(frozen=True)
class Element:
    code: str
    name_zh: str
    type: str
    normalise: str
    sensitivity: int
    code_table: str | None = None


@dataclass(frozen=True)
class Resource:
    code: str
    name_zh: str
    department: str
    department_zh: str
    mode: str
    source: dict
    bronze_table: str
    silver_table: str
    silver_comment: str
    key: str
    items: dict[str, str]  # source column -> element code
    rules: list[dict] = field(default_factory=list)
    gate: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Catalogue:
    elements: dict[str, Element]
    code_tables: dict[str, dict]
    resources: dict[str, Resource]

    def resource(self, code: str) -> Resource:
        if code not in self.resources:
            raise CatalogueError(f"unknown resource {code!r}; known: {', '.join(sorted(self.resources))}")
        return self.resources[code]


def _need(mapping: dict, key: str, where: str):
    if key not in mapping or mapping[key] in (None, ""):
        raise CatalogueError(f"{where}: missing required key {key!r}")
    return mapping[key]


def load(base: Path = LAKEHOUSE) -> Catalogue:
    efile = base / "elements.yaml"
    doc = yaml.safe_load(efile.read_text(encoding="utf-8")) or {}
    code_tables = doc.get("code_tables", {})
    elements = {}
    for code, e in (doc.get("elements") or {}).items():
        where = f"{efile}: elements.{code}"
        norm = _need(e, "normalise", where)
        if norm not in NORMALISERS:
            raise CatalogueError(f"{where}: normalise {norm!r} is not one of {sorted(NORMALISERS)}")
        table = e.get("code_table")
        if table and table not in code_tables:
            raise CatalogueError(f"{where}: code_table {table!r} is not defined under code_tables")
        elements[code] = Element(code, _need(e, "name_zh", where), _need(e, "type", where), norm,
                                 int(_need(e, "sensitivity", where)), table)
    resources = {}
    for rfile in sorted((base / "catalogue").glob("*/*.yaml")):
        r = (yaml.safe_load(rfile.read_text(encoding="utf-8")) or {}).get("resource")
        if not isinstance(r, dict):
            raise CatalogueError(f"{rfile}: expected a top-level 'resource' mapping")
        where = f"{rfile}: resource"
        items = _need(r, "items", where)
        for column, element in items.items():
            if element not in elements:
                raise CatalogueError(f"{rfile}: items.{column} maps to unknown data element {element!r}")
        key = _need(r, "key", where)
        if key not in items.values():
            raise CatalogueError(f"{rfile}: key {key!r} is not one of the resource's elements")
        for i, rule in enumerate(r.get("rules") or []):
            for k in ("name", "severity", "message", "sql"):
                _need(rule, k, f"{rfile}: rules[{i}]")
            if rule["severity"] not in SEVERITIES:
                raise CatalogueError(f"{rfile}: rules[{i}].severity must be one of {sorted(SEVERITIES)}")
        code = _need(r, "code", where)
        if code in resources:
            raise CatalogueError(f"{rfile}: resource code {code!r} is defined twice")
        resources[code] = Resource(
            code=code, name_zh=_need(r, "name_zh", where), department=_need(r, "department", where),
            department_zh=_need(r, "department_zh", where), mode=r.get("mode", "full"),
            source=_need(r, "source", where), bronze_table=_need(r, "bronze_table", where),
            silver_table=_need(r, "silver_table", where), silver_comment=r.get("silver_comment", ""),
            key=key, items=dict(items), rules=list(r.get("rules") or []), gate=dict(r.get("gate") or {}),
            meta={k: r.get(k) for k in ("classification", "sharing_type", "sharing_condition",
                                        "open_type", "update_cycle")},
        )
    return Catalogue(elements, code_tables, resources)

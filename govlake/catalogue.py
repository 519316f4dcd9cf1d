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


class _Map(dict):
    """A YAML mapping that remembers where it and each of its keys stand (1-based lines)."""
    line: int = 0
    key_lines: dict


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        out = _Map(super().construct_mapping(node, deep=deep))
        out.line = node.start_mark.line + 1
        out.key_lines = {self.construct_object(k, deep=True): k.start_mark.line + 1 for k, _ in node.value}
        return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


def _load_yaml(path: Path):
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: invalid YAML: {exc}") from None


def _at(path: Path, mapping, key=None) -> str:
    """`file:line` of a key in a mapping (or of the mapping itself)."""
    line = getattr(mapping, "key_lines", {}).get(key) or getattr(mapping, "line", 0)
    return f"{path}:{line}" if line else str(path)


def _need(mapping: dict, key: str, path: Path):
    if key not in mapping or mapping[key] in (None, ""):
        raise CatalogueError(f"{_at(path, mapping)}: missing required key {key!r}")
    return mapping[key]


def load(base: Path = LAKEHOUSE) -> Catalogue:
    efile = base / "elements.yaml"
    doc = _load_yaml(efile)
    code_tables = doc.get("code_tables", {})
    elements = {}
    for code, e in (doc.get("elements") or {}).items():
        norm = _need(e, "normalise", efile)
        if norm not in NORMALISERS:
            raise CatalogueError(f"{_at(efile, e, 'normalise')}: elements.{code}: normalise {norm!r} "
                                 f"is not one of {sorted(NORMALISERS)}")
        table = e.get("code_table")
        if table and table not in code_tables:
            raise CatalogueError(f"{_at(efile, e, 'code_table')}: elements.{code}: code_table {table!r} "
                                 "is not defined under code_tables")
        elements[code] = Element(code, _need(e, "name_zh", efile), _need(e, "type", efile), norm,
                                 int(_need(e, "sensitivity", efile)), table)
    resources = {}
    for rfile in sorted((base / "catalogue").glob("*/*.yaml")):
        r = _load_yaml(rfile).get("resource")
        if not isinstance(r, dict):
            raise CatalogueError(f"{rfile}: expected a top-level 'resource' mapping")
        items = _need(r, "items", rfile)
        for column, element in items.items():
            if element not in elements:
                raise CatalogueError(f"{_at(rfile, items, column)}: items.{column} maps to unknown data element "
                                     f"{element!r}")
        key = _need(r, "key", rfile)
        if key not in items.values():
            raise CatalogueError(f"{_at(rfile, r, 'key')}: key {key!r} is not one of the resource's elements")
        for i, rule in enumerate(r.get("rules") or []):
            for k in ("name", "severity", "message", "sql"):
                _need(rule, k, rfile)
            if rule["severity"] not in SEVERITIES:
                raise CatalogueError(f"{_at(rfile, rule, 'severity')}: rules[{i}].severity must be one of "
                                     f"{sorted(SEVERITIES)}")
        code = _need(r, "code", rfile)
        if code in resources:
            raise CatalogueError(f"{_at(rfile, r, 'code')}: resource code {code!r} is defined twice")
        resources[code] = Resource(
            code=code, name_zh=_need(r, "name_zh", rfile), department=_need(r, "department", rfile),
            department_zh=_need(r, "department_zh", rfile), mode=r.get("mode", "full"),
            source=dict(_need(r, "source", rfile)), bronze_table=_need(r, "bronze_table", rfile),
            silver_table=_need(r, "silver_table", rfile), silver_comment=r.get("silver_comment", ""),
            key=key, items=dict(items), rules=[dict(x) for x in r.get("rules") or []],
            gate=dict(r.get("gate") or {}),
            meta={k: r.get(k) for k in ("classification", "sharing_type", "sharing_condition",
                                        "open_type", "update_cycle")},
        )
    return Catalogue(elements, {k: dict(v) for k, v in code_tables.items()}, resources)

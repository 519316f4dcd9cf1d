"""Loads and validates the resource catalogue (政务信息资源目录) and the data-element dictionary."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import re

import yaml

from govlake.config import ROOT

LAKEHOUSE = ROOT / "lakehouse"
NORMALISERS = {"citizen_id", "uscc", "party", "text", "code", "region", "date", "timestamp", "integer", "decimal",
               "boolean"}
TYPES = {"string", "date", "timestamp", "integer", "decimal", "boolean"}
SEVERITIES = {"warn", "fail", "info"}  # info: reported to the department, the row is kept
FORMATS = {"csv", "tsv", "jsonl", "xlsx"}
ENCODINGS = {"utf-8", "utf-8-sig", "gbk", "gb18030"}


def lakehouse_dir() -> Path:
    """The catalogue folder: `lakehouse/` beside the code, or GOVLAKE_LAKEHOUSE (tests, a second province)."""
    return Path(os.environ.get("GOVLAKE_LAKEHOUSE") or LAKEHOUSE)


class CatalogueError(ValueError):
    """The catalogue is inconsistent; the message names the file and the line."""


@dataclass(frozen=True)
class Element:
    code: str
    name_zh: str
    type: str
    normalise: str
    sensitivity: int
    code_table: str | None = None
    pattern: str | None = None
    not_after_delivery: bool = False
    format: str | None = None
    authority: str | None = None


@dataclass(frozen=True)
class Item:
    column: str              # the department's header (Chinese)
    name: str                # the silver column
    element: str             # the standard data element
    alias: str | None = None  # another header the department may use (pinyin)
    required: bool = False
    as_of: str | None = None  # for a region: the item whose date it must be valid on (default: data date)


@dataclass(frozen=True)
class Reference:
    column: str     # silver column of this resource
    resource: str   # the resource whose key it must exist in
    severity: str = "info"


@dataclass(frozen=True)
class Resource:
    code: str
    name_zh: str
    department: str
    department_zh: str
    mode: str
    source: dict
    silver_table: str
    silver_comment: str
    key: tuple[str, ...]
    items: tuple[Item, ...]
    rules: list[dict] = field(default_factory=list)
    references: tuple[Reference, ...] = ()
    gate: dict = field(default_factory=dict)
    history: bool = False
    meta: dict = field(default_factory=dict)
    file: str = ""

    @property
    def name(self) -> str:
        return self.code.split(".", 1)[1]

    @property
    def bronze_table(self) -> str:
        return f"{self.department}__{self.name}"

    @property
    def columns(self) -> dict[str, str]:
        """silver column -> element code, in delivery order."""
        return {i.name: i.element for i in self.items}

    def headers(self) -> dict[str, Item]:
        """Every header a delivery may use (Chinese or alias) -> its item."""
        out = {i.column: i for i in self.items}
        out.update({i.alias: i for i in self.items if i.alias})
        return out


@dataclass(frozen=True)
class Catalogue:
    elements: dict[str, Element]
    code_tables: dict[str, dict]
    resources: dict[str, Resource]
    region_history: tuple[dict, ...] = ()
    base: str = ""           # the lakehouse/ folder it was loaded from

    def resource(self, code: str) -> Resource:
        if code not in self.resources:
            raise CatalogueError(f"unknown resource {code!r}; known: {', '.join(sorted(self.resources))}")
        return self.resources[code]

    def departments(self) -> dict[str, tuple[str, list[Resource]]]:
        """department -> (Chinese name, its resources in code order)."""
        out: dict[str, tuple[str, list[Resource]]] = {}
        for r in sorted(self.resources.values(), key=lambda r: r.code):
            out.setdefault(r.department, (r.department_zh, []))[1].append(r)
        return out

    def select(self, target: str) -> list[Resource]:
        """A resource code, a department code, or `all`."""
        if target == "all":
            return sorted(self.resources.values(), key=lambda r: r.code)
        if target in self.resources:
            return [self.resources[target]]
        deps = self.departments()
        if target in deps:
            return deps[target][1]
        raise CatalogueError(f"{target!r} is neither a resource nor a department; departments: "
                             f"{', '.join(sorted(deps))}")


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


def _element(code: str, e: dict, efile: Path, code_tables: dict) -> Element:
    norm = _need(e, "normalise", efile)
    if norm not in NORMALISERS:
        raise CatalogueError(f"{_at(efile, e, 'normalise')}: elements.{code}: normalise {norm!r} "
                             f"is not one of {sorted(NORMALISERS)}")
    typ = _need(e, "type", efile)
    if typ not in TYPES:
        raise CatalogueError(f"{_at(efile, e, 'type')}: elements.{code}: type {typ!r} is not one of {sorted(TYPES)}")
    table = e.get("code_table")
    if norm == "code" and not table:
        raise CatalogueError(f"{_at(efile, e)}: elements.{code}: normalise code needs a code_table")
    if table and table not in code_tables:
        raise CatalogueError(f"{_at(efile, e, 'code_table')}: elements.{code}: code_table {table!r} "
                             "is not defined under code_tables")
    if e.get("pattern"):
        try:
            re.compile(e["pattern"])
        except re.error as exc:
            raise CatalogueError(f"{_at(efile, e, 'pattern')}: elements.{code}: bad pattern: {exc}") from None
    return Element(code, _need(e, "name_zh", efile), typ, norm, int(_need(e, "sensitivity", efile)), table,
                   e.get("pattern"), bool(e.get("not_after_delivery")), e.get("format"), e.get("authority"))


def _items(r: dict, rfile: Path, elements: dict) -> tuple[Item, ...]:
    raw = _need(r, "items", rfile)
    if not isinstance(raw, list):
        raise CatalogueError(f"{_at(rfile, r, 'items')}: items must be a list of "
                             "{column, name, element[, alias, required]}")
    out, names, headers = [], set(), set()
    for i, it in enumerate(raw):
        if not isinstance(it, dict):
            raise CatalogueError(f"{_at(rfile, r, 'items')}: items[{i}] must be a mapping")
        column, name, element = (str(_need(it, k, rfile)) for k in ("column", "name", "element"))
        if element not in elements:
            raise CatalogueError(f"{_at(rfile, it)}: items[{i}] ({column}) maps to unknown data element {element!r}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise CatalogueError(f"{_at(rfile, it)}: items[{i}].name {name!r} must be lower_snake_case")
        if name in names:
            raise CatalogueError(f"{_at(rfile, it)}: items[{i}].name {name!r} is used twice")
        alias = str(it["alias"]) if it.get("alias") else None
        for h in filter(None, (column, alias)):
            if h in headers:
                raise CatalogueError(f"{_at(rfile, it)}: items[{i}]: header {h!r} is used twice")
            headers.add(h)
        names.add(name)
        out.append(Item(column, name, element, alias, bool(it.get("required")), it.get("as_of")))
    for it, item in zip(raw, out):
        if item.as_of and (item.as_of not in names or
                           elements[next(x.element for x in out if x.name == item.as_of)].type not in ("date", "timestamp")):
            raise CatalogueError(f"{_at(rfile, it, 'as_of')}: items ({item.column}): as_of {item.as_of!r} must name a "
                                 "date or timestamp item of this resource")
    return tuple(out)


def load(base: Path | None = None) -> Catalogue:
    base = Path(base) if base else lakehouse_dir()
    efile = base / "elements.yaml"
    doc = _load_yaml(efile)
    code_tables = doc.get("code_tables", {})
    elements = {code: _element(code, e, efile, code_tables) for code, e in (doc.get("elements") or {}).items()}
    resources: dict[str, Resource] = {}
    where: dict[str, tuple[Path, dict]] = {}
    for rfile in sorted((base / "catalogue").glob("*/*.yaml")):
        r = _load_yaml(rfile).get("resource")
        if not isinstance(r, dict):
            raise CatalogueError(f"{rfile}: expected a top-level 'resource' mapping")
        code = str(_need(r, "code", rfile))
        if code in resources:
            raise CatalogueError(f"{_at(rfile, r, 'code')}: resource code {code!r} is defined twice "
                                 f"(also in {resources[code].file})")
        if not re.fullmatch(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*", code):
            raise CatalogueError(f"{_at(rfile, r, 'code')}: resource code {code!r} must be <department>.<name>")
        department = _need(r, "department", rfile)
        if code.split(".")[0] != department:
            raise CatalogueError(f"{_at(rfile, r, 'code')}: resource code {code!r} must start with its department "
                                 f"{department!r}")
        items = _items(r, rfile, elements)
        names = {i.name for i in items}
        key = _need(r, "key", rfile)
        key = tuple([key] if isinstance(key, str) else key)
        for k in key:
            if k not in names:
                raise CatalogueError(f"{_at(rfile, r, 'key')}: key column {k!r} is not one of the resource's items")
        mode = r.get("mode", "full")
        if mode not in ("full", "incremental"):
            raise CatalogueError(f"{_at(rfile, r, 'mode')}: mode must be full or incremental, not {mode!r}")
        source = dict(_need(r, "source", rfile))
        if source.get("format") not in FORMATS:
            raise CatalogueError(f"{_at(rfile, r, 'source')}: source.format must be one of {sorted(FORMATS)}")
        if str(source.get("encoding", "utf-8")).lower() not in ENCODINGS:
            raise CatalogueError(f"{_at(rfile, r, 'source')}: source.encoding must be one of {sorted(ENCODINGS)}")
        for i, rule in enumerate(r.get("rules") or []):
            for k in ("name", "severity", "message", "sql"):
                _need(rule, k, rfile)
            if rule["severity"] not in SEVERITIES:
                raise CatalogueError(f"{_at(rfile, rule, 'severity')}: rules[{i}].severity must be one of "
                                     f"{sorted(SEVERITIES)}")
        refs = []
        for i, ref in enumerate(r.get("references") or []):
            col, target = _need(ref, "column", rfile), _need(ref, "resource", rfile)
            sev = ref.get("severity", "info")
            if col not in names:
                raise CatalogueError(f"{_at(rfile, ref, 'column')}: references[{i}].column {col!r} is not an item")
            if sev not in SEVERITIES - {"fail"}:
                raise CatalogueError(f"{_at(rfile, ref, 'severity')}: references[{i}].severity must be info or warn")
            refs.append(Reference(col, target, sev))
            where[f"{code}#ref{i}"] = (rfile, ref)
        resources[code] = Resource(
            code=code, name_zh=_need(r, "name_zh", rfile), department=department,
            department_zh=_need(r, "department_zh", rfile), mode=mode, source=source,
            silver_table=_need(r, "silver_table", rfile), silver_comment=r.get("silver_comment", ""),
            key=key, items=items, rules=[dict(x) for x in r.get("rules") or []], references=tuple(refs),
            gate=dict(r.get("gate") or {}), history=bool(r.get("history")),
            meta={k: r.get(k) for k in ("classification", "sharing_type", "sharing_condition",
                                        "open_type", "update_cycle")},
            file=str(rfile),
        )
    tables: dict[str, str] = {}
    for res in resources.values():
        if res.silver_table in tables:
            raise CatalogueError(f"{res.file}: silver_table {res.silver_table!r} is already used by "
                                 f"{tables[res.silver_table]}")
        tables[res.silver_table] = res.code
        for i, ref in enumerate(res.references):
            rfile, node = where[f"{res.code}#ref{i}"]
            target = resources.get(ref.resource)
            if target is None:
                raise CatalogueError(f"{_at(rfile, node, 'resource')}: references[{i}].resource {ref.resource!r} "
                                     "is not in the catalogue")
            if len(target.key) != 1:
                raise CatalogueError(f"{_at(rfile, node, 'resource')}: references[{i}]: {ref.resource} has a "
                                     "compound key; a reference needs a single-column key")
    return Catalogue(elements, {k: dict(v) for k, v in code_tables.items()}, resources,
                     tuple(dict(x) for x in doc.get("region_history") or []), base=str(base))

"""The declarative gold layer under lakehouse/gold and lakehouse/portrait: OneID mentions, golden
dimensions (一数一源), base-database models and portrait tags. Loading validates everything against
the catalogue and names the file and line of a mistake, like the catalogue itself."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from govlake.catalogue import Catalogue, CatalogueError, _at, _load_yaml, _need, lakehouse_dir

VALUE_TYPES = {"string": "STRING", "int": "BIGINT", "decimal": "DECIMAL(18,2)", "boolean": "BOOLEAN",
               "date": "DATE"}


@dataclass(frozen=True)
class Mention:
    kind: str                    # person | entity
    resource: str
    id: str
    name: str | None = None
    sex: str | None = None       # a column or a quoted constant ('1')
    birth_date: str | None = None
    region: str | None = None
    when: str | None = None
    registry: bool = False


@dataclass(frozen=True)
class Source:
    resource: str
    key: str         # the column holding the subject's ID
    value: str       # the column (or SQL expression) holding the attribute's value
    department: str
    when: str | None = None


@dataclass(frozen=True)
class Attribute:
    name: str
    name_zh: str
    type: str
    authority: str               # the authoritative department (一数一源)
    sources: tuple[Source, ...]  # in order of preference after the authority
    derive: str | None = None    # SQL over the key, the last resort (e.g. sex from the citizen ID)


@dataclass(frozen=True)
class Dimension:
    subject: str                 # person | entity
    table: str
    comment: str
    key: str
    attributes: tuple[Attribute, ...]


@dataclass(frozen=True)
class Model:
    table: str
    comment: str
    sql: str
    subject: str | None = None   # person | entity: the column naming the subject, for incremental builds
    subject_column: str | None = None
    columns: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Tag:
    code: str
    name_zh: str
    category: str
    type: str
    sql: str
    sensitivity: int
    description: str = ""


@dataclass(frozen=True)
class TagSet:
    subject: str                 # person | entity
    table: str
    comment: str
    key: str
    bases: dict[str, str]        # name -> SQL returning one row per subject (column `key`)
    tags: tuple[Tag, ...]


@dataclass(frozen=True)
class Target:
    code: str
    name_zh: str
    target: float
    unit: str
    description: str = ""


@dataclass(frozen=True)
class Gold:
    mentions: tuple[Mention, ...]
    dimensions: dict[str, Dimension]
    models: tuple[Model, ...]
    tagsets: dict[str, TagSet]
    marts: tuple[Model, ...] = ()      # lakehouse/mart/marts.yaml: what the dashboards read (lake.mart)
    targets: tuple[Target, ...] = ()   # the cockpit's KPI targets (mart.kpi_target)

    def persons(self) -> list[Mention]:
        return [m for m in self.mentions if m.kind == "person"]

    def entities(self) -> list[Mention]:
        return [m for m in self.mentions if m.kind == "entity"]

    def marts_before_portraits(self) -> list[Model]:
        """The marts that read no portrait, directly or through another mart, in their listed order:
        an incremental build computes them while it computes the portraits (jobs/gold.run)."""
        late: set[str] = set()
        for m in self.marts:
            if any(a == "portrait" or (a == "mart" and b in late) for a, b in REF.findall(m.sql)):
                late.add(m.table)
        return [m for m in self.marts if m.table not in late]

    def edited_in_place(self) -> list[InPlace]:
        """The tables an incremental build edits in place (jobs/gold.replace_subjects): what the
        full-rebuild check (jobs/gold.outdated) and the maintenance (jobs/maintain) go through."""
        out = []
        for d in self.dimensions.values():
            out += [InPlace("gold", d.table, d.key, frozenset({d.key, SOURCES, *(a.name for a in d.attributes)})),
                    InPlace("gold", f"{d.table}_history", d.key), InPlace("gold", f"{d.table}_conflict", d.key)]
        out += [InPlace("portrait", ts.table, ts.key,
                        frozenset({ts.key, "_computed_at", "_as_of", *(t.code for t in ts.tags)}))
                for ts in self.tagsets.values()]
        return out


@dataclass(frozen=True)
class InPlace:
    """A table whose subjects' rows incremental builds replace. `columns` is what its definition makes
    today for a wide table (one row per subject); None for a long one (a row per attribute value,
    fixed columns, partitioned by attribute)."""
    schema: str
    table: str
    key: str
    columns: frozenset[str] | None = None

    @property
    def long(self) -> bool:
        return self.columns is None


REWRITE_EVERY = 7  # in-place edits between two rewrites of such a table (about a week of daily deliveries)


TAG_KEYS = {"code", "name_zh", "category", "type", "sql", "sensitivity", "description"}
MENTION_KEYS = {"resource", "id", "name", "sex", "birth_date", "region", "when", "registry"}
SOURCE_KEYS = {"resource", "key", "value", "when"}


def _known_keys(path: Path, mapping, allowed: set[str]) -> None:
    """A misspelt key, or an unquoted SQL value whose comma YAML read as a new key, is an error."""
    for k in mapping:
        if k not in allowed:
            raise CatalogueError(f"{_at(path, mapping, k)}: unknown key {k!r} (allowed: {', '.join(sorted(allowed))}); "
                                 "quote SQL that contains commas")


def _column(cat: Catalogue, where: str, resource: str, column: str | None, what: str) -> None:
    if column is None or column.startswith("'"):
        return
    res = cat.resource(resource)
    if column not in res.columns:
        raise CatalogueError(f"{where}: {what} {column!r} is not a column of {resource} "
                             f"({', '.join(res.columns)})")


def _mentions(cat: Catalogue, base: Path) -> tuple[Mention, ...]:
    path = base / "gold" / "oneid.yaml"
    doc = _load_yaml(path)
    out = []
    for kind, section in (("person", "persons"), ("entity", "entities")):
        for m in _need(doc, section, path):
            _known_keys(path, m, MENTION_KEYS)
            res = str(_need(m, "resource", path))
            if res not in cat.resources:
                raise CatalogueError(f"{_at(path, m)}: unknown resource {res!r}")
            mention = Mention(kind, res, str(_need(m, "id", path)), m.get("name"), m.get("sex"),
                              m.get("birth_date"), m.get("region"), m.get("when"), bool(m.get("registry")))
            for what in ("id", "name", "sex", "birth_date", "region"):
                _column(cat, _at(path, m, what), res, getattr(mention, what), what)
            out.append(mention)
    return tuple(out)


def _dimensions(cat: Catalogue, base: Path) -> dict[str, Dimension]:
    path = base / "gold" / "dimensions.yaml"
    doc = _load_yaml(path)
    out = {}
    for subject, d in doc.items():
        if subject not in ("person", "entity"):
            raise CatalogueError(f"{_at(path, doc, subject)}: a dimension is for person or entity, not {subject!r}")
        attrs, names = [], set()
        for a in _need(d, "attributes", path):
            name = str(_need(a, "name", path))
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in names:
                raise CatalogueError(f"{_at(path, a, 'name')}: attribute name {name!r} must be lower_snake_case "
                                     "and unique")
            names.add(name)
            typ = str(a.get("type", "string"))
            if typ not in VALUE_TYPES:
                raise CatalogueError(f"{_at(path, a, 'type')}: type {typ!r} is not one of {sorted(VALUE_TYPES)}")
            sources = []
            for s in a.get("sources") or []:
                _known_keys(path, s, SOURCE_KEYS)
                res = str(_need(s, "resource", path))
                if res not in cat.resources:
                    raise CatalogueError(f"{_at(path, s)}: unknown resource {res!r}")
                key, value = str(_need(s, "key", path)), str(_need(s, "value", path))
                _column(cat, _at(path, s, "key"), res, key, "key")
                if re.fullmatch(r"[a-z_][a-z0-9_]*", value):
                    _column(cat, _at(path, s, "value"), res, value, "value")
                sources.append(Source(res, key, value, cat.resources[res].department, s.get("when")))
            authority = str(_need(a, "authority", path))
            if sources and authority not in {s.department for s in sources}:
                raise CatalogueError(f"{_at(path, a, 'authority')}: attribute {name}: no source from its "
                                     f"authoritative department {authority!r}")
            if not sources and not a.get("derive"):
                raise CatalogueError(f"{_at(path, a)}: attribute {name} needs sources or derive")
            attrs.append(Attribute(name, str(_need(a, "name_zh", path)), typ, authority, tuple(sources),
                                   a.get("derive")))
        out[subject] = Dimension(subject, str(_need(d, "table", path)), str(_need(d, "comment", path)),
                                 str(_need(d, "key", path)), tuple(attrs))
    return out


# A table an SQL text reads, as (schema, table).
REF = re.compile(r"\b(silver|gold|portrait|ops|mart|catalogue)\.([a-z_][a-z0-9_]*)\b")


def _models(path: Path, section: str = "models") -> tuple[Model, ...]:
    doc = _load_yaml(path)
    out, seen = [], set()
    # Built in the listed order: one that reads another of the same file comes after it, or it would
    # read the other's previous build.
    schema, names = ("gold" if section == "models" else "mart"), [str(m.get("table")) for m in _need(doc, section, path)]
    for i, m in enumerate(_need(doc, section, path)):
        table = str(_need(m, "table", path))
        if table in seen:
            raise CatalogueError(f"{_at(path, m, 'table')}: model {table!r} is defined twice")
        seen.add(table)
        if later := sorted({t for a, t in REF.findall(str(m.get("sql", ""))) if a == schema and t in names[i:]}):
            raise CatalogueError(f"{_at(path, m, 'sql')}: {table} reads {', '.join(f'{schema}.{t}' for t in later)}, "
                                 "defined at or after it: list it after what it reads")
        subject = m.get("subject")
        if subject and subject not in ("person", "entity"):
            raise CatalogueError(f"{_at(path, m, 'subject')}: subject must be person or entity")
        out.append(Model(table, str(_need(m, "comment", path)), str(_need(m, "sql", path)), subject,
                         m.get("subject_column"), dict(m.get("columns") or {})))
    return tuple(out)


def _tagsets(base: Path) -> dict[str, TagSet]:
    out = {}
    for path in sorted((base / "portrait").glob("*.yaml")):
        doc = _load_yaml(path)
        subject = str(_need(doc, "subject", path))
        if subject not in ("person", "entity"):
            raise CatalogueError(f"{_at(path, doc, 'subject')}: subject must be person or entity")
        bases = dict(_need(doc, "bases", path))
        tags, codes = [], set()
        for t in _need(doc, "tags", path):
            _known_keys(path, t, TAG_KEYS)
            code = str(_need(t, "code", path))
            if not re.fullmatch(r"[a-z][a-z0-9_]*", code) or code in codes:
                raise CatalogueError(f"{_at(path, t, 'code')}: tag code {code!r} must be lower_snake_case and unique")
            codes.add(code)
            typ = str(t.get("type", "string"))
            if typ not in VALUE_TYPES:
                raise CatalogueError(f"{_at(path, t, 'type')}: type {typ!r} is not one of {sorted(VALUE_TYPES)}")
            sens = int(t.get("sensitivity", 2))
            if not 1 <= sens <= 4:
                raise CatalogueError(f"{_at(path, t, 'sensitivity')}: sensitivity is a grade from 1 to 4")
            tags.append(Tag(code, str(_need(t, "name_zh", path)), str(_need(t, "category", path)), typ,
                            str(_need(t, "sql", path)), sens, str(t.get("description", ""))))
        out[subject] = TagSet(subject, str(_need(doc, "table", path)), str(_need(doc, "comment", path)),
                              str(_need(doc, "key", path)), bases, tuple(tags))
    return out


TARGET_KEYS = {"code", "name_zh", "target", "unit", "description"}


def _targets(path: Path) -> tuple[Target, ...]:
    out, codes = [], set()
    for t in _load_yaml(path).get("targets") or []:
        _known_keys(path, t, TARGET_KEYS)
        code = str(_need(t, "code", path))
        if code in codes:
            raise CatalogueError(f"{_at(path, t, 'code')}: target {code!r} is defined twice")
        codes.add(code)
        try:
            target = float(_need(t, "target", path))
        except (TypeError, ValueError):
            raise CatalogueError(f"{_at(path, t, 'target')}: target must be a number") from None
        out.append(Target(code, str(_need(t, "name_zh", path)), target, str(t.get("unit", "")),
                          str(t.get("description", ""))))
    return tuple(out)


def load(cat: Catalogue, base: Path | None = None) -> Gold:
    base = Path(base) if base else lakehouse_dir()
    marts = base / "mart" / "marts.yaml"
    return Gold(_mentions(cat, base), _dimensions(cat, base), _models(base / "gold" / "models.yaml"), _tagsets(base),
                _models(marts, "marts") if marts.is_file() else (), _targets(marts) if marts.is_file() else ())


# --- comments analysts see in Trino ----------------------------------------------------------------

HISTORY_COLUMNS = {"attribute": "属性", "value": "属性值", "source_department": "来源部门",
                   "source_resource": "来源资源", "_batch_id": "来源批次", "data_date": "来源数据日期",
                   "valid_from": "生效日期", "valid_to": "失效日期（不含）", "is_current": "是否当前值"}
CONFLICT_COLUMNS = {"attribute": "属性", "golden_value": "采用值", "golden_department": "采用值来源部门",
                    "other_value": "不一致的值", "other_department": "不一致值来源部门",
                    "other_resource": "不一致值来源资源", "_batch_id": "不一致值来源批次",
                    "data_date": "不一致值数据日期"}
PERSON_LINK_COLUMNS = {
    "resource": "资源代码", "role": "字段", "_batch_id": "批次号", "_row_number": "源文件行号",
    "delivered_id": "报送的证件号码", "name": "姓名", "person_id": "关联到的公民身份号码", "linked": "是否关联",
    "method": "关联方法", "reason": "未关联原因", "candidates": "候选人数", "sex": "报送的性别",
    "birth_date": "报送的出生日期", "region": "报送的地区", "origin": "来源（隔离记录/已发布记录）"}
PERSON_REGISTRY_COLUMNS = {"person_id": "公民身份号码", "name": "姓名", "region": "地区（所见最大代码）",
                           "sex": "性别（由号码推出）", "birth_date": "出生日期（由号码推出）"}
ENTITY_REGISTRY_COLUMNS = {"entity_id": "统一社会信用代码", "org_code": "组织机构代码（第9-17位）"}
ENTITY_LINK_COLUMNS = {
    "resource": "资源代码", "role": "字段", "code": "报送的代码", "entity_id": "关联到的统一社会信用代码",
    "linked": "是否关联", "method": "关联方法", "reason": "未关联原因", "mentions": "出现次数"}
DICTIONARY_COLUMNS = {"subject": "画像对象", "table": "标签表", "seq": "序号", "code": "标签代码（列名）",
                      "name_zh": "标签名称", "category": "标签类别", "value_type": "值类型", "sensitivity": "敏感级别",
                      "sensitivity_zh": "敏感级别名称", "definition": "定义（Spark SQL）", "description": "说明"}
STATE_COLUMNS = {"batch_id": "已纳入基础库与画像的批次", "resource": "资源代码", "built_at": "构建时间"}
TARGET_COLUMNS = {"seq": "序号", "code": "指标代码", "name_zh": "指标名称", "target": "目标值", "unit": "单位",
                  "description": "说明"}
SOURCES = "attribute_sources"  # a golden row's column: each attribute's current source department
SOURCES_ZH = "各属性当前值的来源部门（属性、部门）"
KEY_ZH = {"person": "公民身份号码（OneID）", "entity": "统一社会信用代码（OneID）"}


def table_comments(gold: Gold) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    """(schema, table) -> (table comment, {column: comment}) for gold and portrait."""
    out = {}
    for subject, d in gold.dimensions.items():
        key = {d.key: KEY_ZH[subject]}
        out[("gold", d.table)] = (d.comment, key | {a.name: a.name_zh for a in d.attributes} | {SOURCES: SOURCES_ZH})
        out[("gold", f"{d.table}_history")] = (f"{d.comment}的属性历史：每次取值变化一行，可按日期回溯（as of）",
                                              key | HISTORY_COLUMNS)
        out[("gold", f"{d.table}_conflict")] = (f"{d.comment}的部门间不一致：与采用值不同的来源值", key | CONFLICT_COLUMNS)
    for m in gold.models:
        out[("gold", m.table)] = (m.comment, dict(m.columns) | {"_batch_id": "来源批次"})
    out[("gold", "person_link")] = ("OneID 自然人关联：证件号码不可用的记录按证据关联的结果及未关联原因", PERSON_LINK_COLUMNS)
    out[("gold", "entity_link")] = ("OneID 法人关联：旧组织机构代码与统一社会信用代码的对应", ENTITY_LINK_COLUMNS)
    out[("gold", "person_registry")] = ("OneID 已知自然人：银层中出现过的有效公民身份号码及姓名", PERSON_REGISTRY_COLUMNS)
    out[("gold", "entity_registry")] = ("OneID 已知法人：银层中出现过的有效统一社会信用代码", ENTITY_REGISTRY_COLUMNS)
    for subject, ts in gold.tagsets.items():
        out[("portrait", ts.table)] = (ts.comment, {ts.key: KEY_ZH[subject], "_computed_at": "计算时间",
                                                          "_as_of": "标签参照日期（数据日期）"} |
                                       {t.code: t.name_zh for t in ts.tags})
    out[("portrait", "tag_dictionary")] = ("画像标签字典：每个标签的名称、类别、类型、敏感级别与定义", DICTIONARY_COLUMNS)
    out[("ops", "gold_state")] = ("基础库与画像构建台账：已纳入的批次", STATE_COLUMNS)
    for m in gold.marts:
        out[("mart", m.table)] = (m.comment, dict(m.columns))
    out[("mart", "region_shape")] = ("区县示意图形（方格示意，非实际边界；govlake/geo.py 由行政区划代码生成）",
                                     {"county_code": "区县代码", "county_name": "区县", "city_code": "地市代码",
                                      "city_name": "地市", "polygon": "示意多边形（经纬度 JSON）",
                                      "geojson": "GeoJSON 要素"})
    if gold.targets:
        out[("mart", "kpi_target")] = ("领导驾驶舱指标目标值（lakehouse/mart/marts.yaml）", TARGET_COLUMNS)
    return out

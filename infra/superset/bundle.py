"""Render dashboards/ into a Superset import bundle, filling in this installation's endpoints:

    bundle.py SRC_DIR OUT_DIR TRINO_URI [LAKE_DIR]

Two kinds of source, both YAML kept in git:
* Superset's own export format (databases/, datasets/, charts/, dashboards/, metadata.yaml): copied,
  with `{{ TRINO_URI }}` filled in.
* Compact specs (specs/datasets.yaml, specs/dashboards/*.yaml, specs/queries.yaml): one file per
  dashboard with its charts inline, rendered here into the export format. Dataset columns, their
  types and Chinese labels come from the lake itself (the Delta schema of the table) and from the
  comments the catalogue writes into it, so a column renamed in lakehouse/ cannot drift from the
  dashboards. UUIDs are derived from the spec keys (stable across imports).
"""
from __future__ import annotations

import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

NS = uuid.UUID("3f0e7a52-61a4-4f0c-9a7e-2b1c6d0e9f11")
DATABASE_UUID = "8c215c0b-1b01-5b1b-a3c6-bed48a7943b2"  # dashboards/databases/govlake_lake.yaml
REGION_FILTERS = {"city": ("地市", "city_name", None), "county": ("区县", "county_name", "city")}
DELTA_TYPES = {"string": "VARCHAR", "long": "BIGINT", "integer": "INTEGER", "double": "DOUBLE", "date": "DATE",
               "timestamp": "TIMESTAMP", "boolean": "BOOLEAN", "short": "SMALLINT"}


class SpecError(ValueError):
    pass


def uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NS, f"govlake/{kind}/{key}"))


# --- datasets ------------------------------------------------------------------------------------------

def delta_schema(lake: Path | None, table: str) -> list[tuple[str, str]]:
    """[(column, SQL type)] from the newest metadata in the table's Delta log; [] if absent."""
    if lake is None:
        return []
    schema_txt = None
    log = lake / table.replace(".", "/") / "_delta_log"
    for f in sorted(log.glob("*.json")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if '"metaData"' in line:
                schema_txt = json.loads(line)["metaData"]["schemaString"]
    if schema_txt is None:
        return []
    out = []
    for fld in json.loads(schema_txt)["fields"]:
        t = fld["type"]
        typ = DELTA_TYPES.get(t, t.upper()) if isinstance(t, str) else "VARCHAR"
        if isinstance(t, str) and t.startswith("decimal"):
            typ = t.upper()
        out.append((fld["name"], typ))
    return out


def comments() -> dict[str, dict[str, str]]:
    """'schema.table' -> {column: Chinese label}, from the catalogue (what Trino shows too)."""
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root))
    from govlake import catalogue, lake
    return {f"{s}.{t}": cols for (s, t), (_, cols) in lake.table_comments(catalogue.load()).items()}


@dataclass
class Dataset:
    key: str
    name: str
    table: str
    description: str
    columns: list[tuple[str, str]]               # (name, SQL type)
    labels: dict[str, str]
    metrics: list[dict] = field(default_factory=list)

    @property
    def uuid(self) -> str:
        return uid("dataset", self.key)

    def has(self, column: str) -> bool:
        return any(c == column for c, _ in self.columns)

    def export(self) -> dict:
        cols = []
        for name, typ in self.columns:
            dttm = typ in ("DATE", "TIMESTAMP")
            cols.append({"column_name": name, "verbose_name": self.labels.get(name), "is_dttm": dttm,
                         "is_active": True, "type": typ, "groupby": True, "filterable": True, "expression": None,
                         "description": self.labels.get(name), "python_date_format": None, "extra": {}})
        mets = [{"metric_name": m["name"], "verbose_name": m["label"], "metric_type": None, "expression": m["sql"],
                 "description": m.get("description", m["label"]), "d3format": m.get("format"), "extra": {},
                 "warning_text": None} for m in self.metrics]
        main_dttm = next((n for n, t in self.columns if t in ("DATE", "TIMESTAMP")), None)
        return {"table_name": self.name, "main_dttm_col": main_dttm, "description": self.description,
                "default_endpoint": None, "offset": 0, "cache_timeout": None, "schema": self.table.split(".")[0],
                "catalog": "lake", "sql": f"SELECT * FROM lake.{self.table}", "params": None, "template_params": None,
                "filter_select_enabled": True, "fetch_values_predicate": None, "extra": None, "uuid": self.uuid,
                "metrics": mets, "columns": cols, "version": "1.0.0", "database_uuid": DATABASE_UUID}


def load_datasets(path: Path, lake: Path | None) -> dict[str, Dataset]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    labels = comments()
    out = {}
    for key, d in (doc.get("datasets") or {}).items():
        for need in ("name", "table"):
            if need not in d:
                raise SpecError(f"{path}: dataset {key}: missing {need!r}")
        table = d["table"]
        cols = delta_schema(lake, table) or [(c, "VARCHAR") for c in labels.get(table, {})]
        if not cols:
            raise SpecError(f"{path}: dataset {key}: table {table} is neither in the lake nor in the catalogue")
        metrics = []
        for m in d.get("metrics") or []:
            if not {"name", "label", "sql"} <= set(m):
                raise SpecError(f"{path}: dataset {key}: a metric needs name, label and sql: {m}")
            if m["sql"].count("(") != m["sql"].count(")"):
                raise SpecError(f"{path}: dataset {key}: metric {m['name']}: unbalanced parentheses in {m['sql']!r} "
                                "(quote SQL that contains commas)")
            metrics.append(m)
        out[key] = Dataset(key, d["name"], table, d.get("description", ""), cols, labels.get(table, {}), metrics)
    return out


# --- charts --------------------------------------------------------------------------------------------

VIZ = {"number": "big_number_total", "gauge": "gauge_chart", "table": "table", "pie": "pie",
       "bar": "echarts_timeseries_bar", "line": "echarts_timeseries_line", "treemap": "treemap_v2",
       "map": "deck_polygon", "pivot": "pivot_table_v2"}


def chart_params(c: dict, ds: Dataset) -> tuple[dict, dict]:
    """(form data, the query the chart runs) for one compact chart spec."""
    viz = VIZ[c["viz"]]
    metrics = c.get("metrics") or ([c["metric"]] if c.get("metric") else [])
    for m in metrics:
        if m not in {x["name"] for x in ds.metrics}:
            raise SpecError(f"chart {c['title']}: metric {m!r} is not defined on dataset {ds.key}")
    groupby = list(c.get("groupby") or [])
    where = " AND ".join(f"({w})" for w in ([c["where"]] if isinstance(c.get("where"), str) else c.get("where") or []))
    p = {"viz_type": viz, "datasource": "0__table", "adhoc_filters": [], "extra_form_data": {},
         "color_scheme": "supersetColors", "row_limit": c.get("limit", 1000)}
    if where:
        p["adhoc_filters"] = [{"clause": "WHERE", "expressionType": "SQL", "sqlExpression": where}]
    fmt = c.get("format", "SMART_NUMBER")
    columns, orderby = [], []
    if viz == "big_number_total":
        p |= {"metric": metrics[0], "subheader": c.get("subheader", ""), "y_axis_format": fmt,
              "header_font_size": 0.4, "subheader_font_size": 0.15}
    elif viz == "gauge_chart":
        lo, hi = c.get("range", [0, 100])
        target = c.get("target")
        p |= {"metric": metrics[0], "groupby": groupby, "min_val": lo, "max_val": hi, "number_format": fmt,
              "start_angle": 225, "end_angle": -45, "show_pointer": True, "show_progress": True, "font_size": 13,
              "split_number": 10, "value_formatter": "{value}" + c.get("unit", ""), "animation": False}
        if target is not None:
            p |= {"intervals": f"{target},{hi}", "interval_color_indices": "3,2"}
        columns = groupby
    elif viz == "table":
        if c.get("columns"):
            columns = list(c["columns"])
            p |= {"query_mode": "raw", "all_columns": columns, "order_by_cols": [json.dumps([o, True]) for o in
                                                                                   c.get("order", [])]}
            orderby = [[o, True] for o in c.get("order", [])]
        else:
            columns = groupby
            p |= {"query_mode": "aggregate", "groupby": groupby, "metrics": metrics, "order_desc": True,
                  "timeseries_limit_metric": metrics[0] if metrics else None}
            orderby = [[metrics[0], False]] if metrics else []
        p |= {"server_page_length": c.get("page", 20), "table_timestamp_format": "%Y-%m-%d",
              "show_cell_bars": c.get("bars", True), "include_search": c.get("search", False),
              "conditional_formatting": c.get("conditional_formatting", [])}
    elif viz in ("pie", "treemap_v2"):
        columns = groupby
        p |= {"groupby": groupby, "metric": metrics[0], "number_format": fmt, "show_labels": True,
              "label_type": "key_percent" if viz == "pie" else "key_value", "show_legend": viz == "pie",
              "legendOrientation": "right", "donut": viz == "pie", "innerRadius": 40, "outerRadius": 75,
              "sort_by_metric": True}
        orderby = [[metrics[0], False]]
    elif viz in ("echarts_timeseries_bar", "echarts_timeseries_line"):
        x = c["x"]
        series = list(c.get("series") or [])
        columns = [x] + series
        temporal = any(n == x and t in ("DATE", "TIMESTAMP") for n, t in ds.columns)
        p |= {"x_axis": x, "metrics": metrics, "groupby": series, "y_axis_format": fmt, "show_legend": True,
              "legendOrientation": "top", "legendType": "scroll", "rich_tooltip": True, "order_desc": True,
              "orientation": "horizontal" if c.get("horizontal") else "vertical", "stack": c.get("stack"),
              "x_axis_sort_asc": not c.get("sort_desc", False), "truncateXAxis": True, "only_total": True,
              "show_value": c.get("show_value", False), "zoomable": False}
        if temporal:
            p |= {"time_grain_sqla": c.get("grain", "P1M"), "x_axis_time_format": "%Y-%m"}
        else:
            p |= {"x_axis_sort": metrics[0] if c.get("sort_by_metric", True) else x, "x_axis_sort_asc": False}
            orderby = [[metrics[0], False]]
    elif viz == "deck_polygon":
        columns = [c["polygon"]]
        p |= {"line_column": c["polygon"], "line_type": "json", "metric": metrics[0], "filled": True, "stroked": True,
              "extruded": False, "line_width": 1, "line_width_unit": "pixels", "opacity": 80,
              "linear_color_scheme": c.get("colors", "blue_white_yellow"), "num_buckets": 5, "legend_position": "tr",
              "legend_format": c.get("legend_format", ".2s"), "reverse_long_lat": False, "autozoom": True,
              "js_columns": c.get("tooltip_columns", []), "multiplier": 1, "point_radius_fixed": {"type": "fix", "value": 1},
              "fill_color_picker": {"r": 33, "g": 150, "b": 243, "a": 1},
              "stroke_color_picker": {"r": 255, "g": 255, "b": 255, "a": 1},
              "mapbox_style": "", "viewport": c.get("viewport", {"longitude": 120.2, "latitude": 29.2, "zoom": 6,
                                                                 "bearing": 0, "pitch": 0})}
        columns += c.get("tooltip_columns", [])
    elif viz == "pivot_table_v2":
        rows, cols = list(c.get("rows") or []), list(c.get("cols") or [])
        columns = rows + cols
        p |= {"groupbyRows": rows, "groupbyColumns": cols, "metrics": metrics, "aggregateFunction": "Sum",
              "valueFormat": fmt, "rowTotals": True, "colTotals": True, "metricsLayout": "COLUMNS"}
    p.update(c.get("options") or {})
    query = {"filters": [], "extras": {"having": "", "where": where}, "applied_time_extras": {},
             # raw rows: no metrics at all (an empty list would make Superset GROUP BY the columns)
             "columns": columns, "metrics": metrics if not (viz == "table" and c.get("columns")) else None,
             "orderby": orderby, "annotation_layers": [], "row_limit": p["row_limit"], "series_limit": 0,
             "order_desc": True, "url_params": {}, "custom_params": {}, "custom_form_data": {}}
    return p, query


def render_dashboard(path: Path, datasets: dict[str, Dataset]) -> list[tuple[str, dict]]:
    """[(relative path, export document)] for one compact dashboard and its charts."""
    d = yaml.safe_load(path.read_text(encoding="utf-8"))
    slug = d["slug"]
    files, position, rows = [], {}, []
    chart_no, uses = 0, []
    for r_i, row in enumerate(d["rows"]):
        row_id = f"ROW-{r_i}"
        children = []
        for c in row["charts"]:
            chart_no += 1
            if c.get("dataset") not in datasets:
                raise SpecError(f"{path}: chart {c.get('title')}: unknown dataset {c.get('dataset')!r}")
            if c.get("viz") not in VIZ:
                raise SpecError(f"{path}: chart {c.get('title')}: viz must be one of {sorted(VIZ)}")
            ds = datasets[c["dataset"]]
            try:
                params, query = chart_params(c, ds)
            except KeyError as exc:
                raise SpecError(f"{path}: chart {c.get('title')}: missing {exc}") from None
            for col in query["columns"]:
                if not ds.has(col):
                    raise SpecError(f"{path}: chart {c['title']}: {col!r} is not a column of {ds.table}")
            cuid = uid("chart", f"{slug}/{c['key']}")
            qc = {"datasource": {"id": 0, "type": "table"}, "force": False, "queries": [query],
                  "form_data": params, "result_format": "json", "result_type": "full"}
            files.append((f"charts/{slug}_{c['key']}.yaml", {
                "slice_name": c["title"], "description": c.get("description"), "certified_by": None,
                "certification_details": None, "viz_type": params["viz_type"], "params": params,
                "query_context": json.dumps(qc, ensure_ascii=False), "cache_timeout": None, "uuid": cuid,
                "version": "1.0.0", "dataset_uuid": ds.uuid}))
            cid = f"CHART-{c['key']}"
            children.append(cid)
            position[cid] = {"children": [], "id": cid, "parents": ["ROOT_ID", "GRID_ID", row_id], "type": "CHART",
                             "meta": {"chartId": chart_no, "height": c.get("height", row.get("height", 50)),
                                      "sliceName": c["title"], "uuid": cuid, "width": c.get("width", 4)}}
            uses.append((chart_no, ds))
        if sum(position[ch]["meta"]["width"] for ch in children) > 12:
            raise SpecError(f"{path}: row {r_i + 1} is wider than 12 columns")
        position[row_id] = {"children": children, "id": row_id, "meta": {"background": "BACKGROUND_TRANSPARENT"},
                            "parents": ["ROOT_ID", "GRID_ID"], "type": "ROW"}
        rows.append(row_id)
    position |= {"DASHBOARD_VERSION_KEY": "v2", "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
                 "HEADER_ID": {"id": "HEADER_ID", "meta": {"text": d["title"]}, "type": "HEADER"},
                 "GRID_ID": {"children": rows, "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"}}
    filters = []
    for f in d.get("filters") or []:
        spec = dict(f) if isinstance(f, dict) else {"region": f}
        if "region" in spec:
            name, column, parent = REGION_FILTERS[spec["region"]]
            spec = {"key": spec["region"], "name": name, "column": column, "dataset": "region",
                    "parent": parent} | {k: v for k, v in spec.items() if k != "region"}
        ds = datasets[spec["dataset"]]
        excluded = [n for n, cds in uses if not cds.has(spec["column"])]
        filters.append({
            "id": f"NATIVE_FILTER-{spec['key']}", "name": spec["name"], "filterType": spec.get("type", "filter_select"),
            "type": "NATIVE_FILTER", "targets": [{"datasetUuid": ds.uuid, "column": {"name": spec["column"]}}],
            "defaultDataMask": {"filterState": {}, "extraFormData": {}},
            "controlValues": {"multiSelect": spec.get("multi", True), "enableEmptyFilter": False,
                              "searchAllOptions": spec.get("search_all", False), "inverseSelection": False,
                              "defaultToFirstItem": False},
            "cascadeParentIds": [f"NATIVE_FILTER-{spec['parent']}"] if spec.get("parent") else [],
            "scope": {"rootPath": ["ROOT_ID"], "excluded": excluded}, "description": spec.get("description", ""),
            "chartsInScope": [n for n, _ in uses if n not in excluded], "tabsInScope": []})
    files.append((f"dashboards/{slug}.yaml", {
        "dashboard_title": d["title"], "description": d.get("description"), "css": d.get("css", ""), "slug": slug,
        "certified_by": "", "certification_details": "", "published": True, "uuid": uid("dashboard", slug),
        "version": "1.0.0", "position": position,
        "metadata": {"color_scheme": "supersetColors", "refresh_frequency": 0, "expanded_slices": {},
                     "label_colors": {}, "timed_refresh_immune_slices": [], "cross_filters_enabled": True,
                     "native_filter_configuration": filters, "shared_label_colors": [],
                     "color_scheme_domain": []}}))
    return files


def load_queries(src: Path) -> list[dict]:
    """SQL Lab saved queries (specs/queries.yaml): label, description, sql."""
    path = src / "specs" / "queries.yaml"
    if not path.is_file():
        return []
    out = []
    for q in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("queries") or []:
        if not {"label", "sql"} <= set(q):
            raise SpecError(f"{path}: a saved query needs label and sql: {q}")
        out.append(q)
    return out


def render(src: Path, out: Path, trino_uri: str, lake: Path | None = None) -> int:
    n = 0
    for f in sorted(src.rglob("*.yaml")):
        if f.relative_to(src).parts[0] == "specs":
            continue
        text = f.read_text(encoding="utf-8").replace("{{ TRINO_URI }}", trino_uri)
        yaml.safe_load(text)  # fail here, with the file name, rather than inside Superset
        target = out / f.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        n += 1
    specs = src / "specs"
    if (specs / "datasets.yaml").is_file():
        datasets = load_datasets(specs / "datasets.yaml", lake)
        docs = [(f"datasets/govlake_lake/{k}.yaml", ds.export()) for k, ds in datasets.items()]
        for f in sorted((specs / "dashboards").glob("*.yaml")):
            docs += render_dashboard(f, datasets)
        for rel, doc in docs:
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
            n += 1
    load_queries(src)
    return n


def dashboard_slugs(src: Path) -> list[str]:
    out = []
    for f in sorted(src.rglob("*.yaml")):
        rel = f.relative_to(src).parts
        if rel[0] == "dashboards" or rel[:2] == ("specs", "dashboards"):
            slug = (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("slug")
            if slug:
                out.append(slug)
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "slugs":
        print("\n".join(dashboard_slugs(Path(args[1]))))
        sys.exit(0)
    src, out, uri = Path(args[0]), Path(args[1]), args[2]
    lake_dir = Path(args[3]) if len(args) > 3 and args[3] and re.match(r"^/", args[3]) else None
    try:
        print(f"[govlake] bundle: {render(src, out, uri, lake_dir)} files from {src}", file=sys.stderr)
    except yaml.YAMLError as exc:
        sys.exit(f"[govlake] ERROR: invalid YAML in dashboards/: {exc}")
    except SpecError as exc:
        sys.exit(f"[govlake] ERROR: dashboards/specs: {exc}")

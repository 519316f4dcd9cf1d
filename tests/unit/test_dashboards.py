"""Dashboards as code: the compact specs render into Superset's export format, consistently with the
marts they read; the schematic county map tiles the province without overlaps."""
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from govlake import catalogue, geo, goldspec
from govlake.catalogue import CatalogueError

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bundle", ROOT / "infra/superset/bundle.py")
bundle = importlib.util.module_from_spec(spec)
sys.modules["bundle"] = bundle  # dataclasses look their module up
spec.loader.exec_module(bundle)


def _render(src: Path, out: Path) -> dict[str, dict]:
    bundle.render(src, out, "trino://govlake@127.0.0.1:8081/lake")
    return {str(p.relative_to(out)): yaml.safe_load(p.read_text(encoding="utf-8")) for p in out.rglob("*.yaml")}


def test_specs_render_five_dashboards_whose_charts_and_filters_fit_their_datasets(tmp_path):
    docs = _render(ROOT / "dashboards", tmp_path / "a")
    dashboards = {d["slug"]: d for k, d in docs.items() if k.startswith("dashboards/")}
    assert {"govlake-cockpit", "govlake-service", "govlake-data-quality", "govlake-credit",
            "govlake-portrait"} <= set(dashboards)
    assert dashboards["govlake-cockpit"]["dashboard_title"] == "领导驾驶舱"
    datasets = {d["uuid"]: d for k, d in docs.items() if k.startswith("datasets/")}
    charts = {d["uuid"]: d for k, d in docs.items() if k.startswith("charts/")}
    for c in charts.values():
        ds = datasets[c["dataset_uuid"]]
        names = {col["column_name"] for col in ds["columns"]}
        query = json.loads(c["query_context"])["queries"][0]
        assert set(query["columns"]) <= names, c["slice_name"]
        assert set(query["metrics"] or []) <= {m["metric_name"] for m in ds["metrics"]}, c["slice_name"]
    for ds in datasets.values():  # a comma inside unquoted flow-style YAML would have cut the SQL short
        assert all(m["expression"].count("(") == m["expression"].count(")") for m in ds["metrics"]), ds["table_name"]
    # every column of a mart dataset carries its Chinese label from lakehouse/mart/marts.yaml
    eff = next(d for d in datasets.values() if d["table_name"] == "政务服务效能")
    assert {c["column_name"]: c["verbose_name"] for c in eff["columns"]}["within_legal_cases"] == "法定时限内办结量"
    # a region filter skips exactly the charts whose dataset has no city column
    cockpit = dashboards["govlake-cockpit"]
    ids = {v["meta"]["chartId"]: charts[v["meta"]["uuid"]] for v in cockpit["position"].values()
           if isinstance(v, dict) and v.get("type") == "CHART"}
    city = next(f for f in cockpit["metadata"]["native_filter_configuration"] if f["name"] == "地市")
    without_city = {n for n, c in ids.items()
                    if "city_name" not in {x["column_name"] for x in datasets[c["dataset_uuid"]]["columns"]}}
    assert set(city["scope"]["excluded"]) == without_city and without_city
    assert set(city["chartsInScope"]) == set(ids) - without_city
    county = next(f for f in cockpit["metadata"]["native_filter_configuration"] if f["name"] == "区县")
    assert county["cascadeParentIds"] == [city["id"]]


def test_rendering_is_stable_so_a_reimport_updates_in_place(tmp_path):
    a, b = _render(ROOT / "dashboards", tmp_path / "a"), _render(ROOT / "dashboards", tmp_path / "b")
    assert {k: v["uuid"] for k, v in a.items() if "uuid" in v} == {k: v["uuid"] for k, v in b.items() if "uuid" in v}


def test_a_chart_naming_an_unknown_metric_is_refused_with_its_title(tmp_path):
    src = tmp_path / "dashboards"
    shutil.copytree(ROOT / "dashboards", src)
    f = src / "specs/dashboards/credit.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("metric: joint_discipline, subheader", "metric: no_such, subheader"),
                 encoding="utf-8")
    with pytest.raises(bundle.SpecError, match="联合惩戒对象.*no_such"):
        bundle.render(src, tmp_path / "out", "trino://x")


def test_a_chart_on_a_column_the_table_lacks_is_refused(tmp_path):
    src = tmp_path / "dashboards"
    shutil.copytree(ROOT / "dashboards", src)
    f = src / "specs/dashboards/service.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("x: department,", "x: departmnet,"), encoding="utf-8")
    with pytest.raises(bundle.SpecError, match="departmnet"):
        bundle.render(src, tmp_path / "out", "trino://x")


def test_marts_and_targets_load_and_a_bad_target_is_refused(tmp_path):
    cat = catalogue.load()
    gold = goldspec.load(cat)
    assert {"kpi", "service_efficiency", "data_sharing", "credit_event", "region_map"} <= {m.table for m in gold.marts}
    assert {t.code: t.target for t in gold.targets}["online_rate_province"] == 90
    base = tmp_path / "lakehouse"
    shutil.copytree(ROOT / "lakehouse", base)
    f = base / "mart/marts.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("target: 70,", "target: 七十,"), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"marts.yaml:\d+: target must be a number"):
        goldspec.load(cat, base)


def test_the_county_map_tiles_every_county_once_without_overlap():
    counties = [(f"33{c:02d}{k:02d}", f"县{c}-{k}", f"33{c:02d}00", f"市{c}") for c in range(1, 12)
                for k in range(1, 3 + c)]
    feats = geo.layout(counties)
    assert sorted(f["county_code"] for f in feats) == sorted(c[0] for c in counties)
    boxes = [(f["polygon"][0][0], f["polygon"][0][1], f["polygon"][2][0], f["polygon"][2][1]) for f in feats]
    for i, a in enumerate(boxes):
        assert a[0] < a[2] and a[1] < a[3]
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    fc = geo.feature_collection(feats)
    assert fc["features"][0]["geometry"]["type"] == "Polygon"
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]

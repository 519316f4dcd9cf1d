"""Superset over Trino: the dashboards of dashboards/ (the population overview and the five built
from the marts) are imported, every chart returns data through the API and renders without error in
headless Chromium, the figures agree with the lake, and SQL Lab has the saved example queries."""
import re
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import ROOT, sh

pytestmark = pytest.mark.integration
PY = str(ROOT / ".govlake/venv/project/bin/python")
SLUGS = {"govlake-cockpit", "govlake-service", "govlake-data-quality", "govlake-credit", "govlake-portrait",
         "govlake-population"}


@pytest.fixture(scope="module")
def superset(built):
    sh("infra/superset/superset.sh", "init", timeout=600)
    sh("infra/superset/superset.sh", "start", timeout=300)
    sh("infra/superset/superset.sh", "import", timeout=600)
    yield
    sh("infra/superset/superset.sh", "stop", check=False)


def _chart_titles() -> set[str]:
    titles = {yaml.safe_load(p.read_text(encoding="utf-8"))["slice_name"] for p in (ROOT / "dashboards/charts").glob("*.yaml")}
    for p in (ROOT / "dashboards/specs/dashboards").glob("*.yaml"):
        for row in yaml.safe_load(p.read_text(encoding="utf-8"))["rows"]:
            titles |= {c["title"] for c in row["charts"]}
    return titles


def test_every_chart_returns_data_through_the_api(superset, built, trino_query):
    out = sh(PY, "infra/superset/api_check.py", "chart-data", "dashboards", timeout=900).stdout
    counts = dict(re.findall(r"chart (.+?): (\d+) rows", out))
    assert set(counts) == _chart_titles(), out
    assert all(int(n) > 0 for n in counts.values()), out
    assert "ERROR" not in out, out
    # The population big number is the silver row count the ledger promised (no deaths at ingestion).
    assert f"'count': {built['truth']['expected_silver_rows']}" in out
    # The service dashboard's case count is the lake's, through Superset and through Trino alike.
    [(cases,)] = trino_query("SELECT count(*) FROM lake.gold.fct_case")
    assert re.search(rf"chart 办件量: 1 rows\n  value {{'cases': {cases}}}", out), out


def test_every_dashboard_renders_in_a_browser_without_chart_errors(superset, settings):
    shots = Path(settings.instance) / "screenshots"
    proc = sh("infra/screenshot/run.sh", str(shots), check=False, timeout=1500)
    lines = dict(re.findall(r"dashboard (\S+): (.*)", proc.stdout))
    assert set(lines) == SLUGS, proc.stdout + proc.stderr
    for slug, line in lines.items():
        charts, errors, loading = map(int, re.match(r"(\d+) charts, (\d+) errors, (\d+) still loading", line).groups())
        assert charts > 0 and errors == 0 and loading == 0, f"{slug}: {line}"
        assert (shots / f"{slug}.png").stat().st_size > 20_000, slug
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_marts_and_kpis_are_in_trino_with_chinese_comments(superset, trino_query):
    kpis = {r[0]: r for r in trino_query("SELECT code, value, target, met, status FROM lake.mart.kpi")}
    sys.path.insert(0, str(ROOT))
    targets = yaml.safe_load((ROOT / "lakehouse/mart/marts.yaml").read_text(encoding="utf-8"))["targets"]
    assert set(kpis) == {t["code"] for t in targets}
    # The cockpit's province-level online rate is the share of online items among province-level items.
    [(online, items)] = trino_query("SELECT count_if(online), count(*) FROM lake.gold.dim_service_item WHERE level = '1'")
    code, value, target, met, status = kpis["online_rate_province"]
    assert abs(value - round(100.0 * online / items, 1)) < 0.051 and met == (value >= target)
    assert status == ("达标" if met else "未达标")
    [(comment,)] = trino_query("SELECT comment FROM system.metadata.table_comments WHERE catalog_name = 'lake' "
                               "AND schema_name = 'mart' AND table_name = 'service_efficiency'")
    assert comment.startswith("政务服务效能")
    cols = {r[0]: r[3] for r in trino_query("SHOW COLUMNS FROM lake.mart.service_efficiency")}
    assert cols["within_legal_cases"] == "法定时限内办结量"


def test_saved_queries_are_in_sql_lab_and_answer_in_trino(superset, trino_query):
    queries = yaml.safe_load((ROOT / "dashboards/specs/queries.yaml").read_text(encoding="utf-8"))["queries"]
    for q in queries:
        trino_query(q["sql"])  # raises on an error
    sh("infra/superset/superset.sh", "import", timeout=600)  # again: nothing is duplicated
    out = sh(PY, "infra/superset/api_check.py", "saved-queries", "dashboards").stdout
    counts = dict(re.findall(r"saved query (.+?): (\d+)$", out, re.M))
    assert counts == {q["label"]: "1" for q in queries}, out
    out = sh(PY, "infra/superset/api_check.py", "imported", "dashboards").stdout
    assert "MISSING" not in out
    assert all(out.count(f"dashboard {t}: ok") == 1 for t in ("领导驾驶舱", "政务服务效能", "数据共享与质量", "信用监管",
                                                               "画像查询", "户籍人口概览")), out

"""Superset over Trino: the dashboard imported from dashboards/ exists and every chart returns data."""
import re

import pytest

from tests.integration.conftest import ROOT, sh

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def superset(ingested):
    sh("infra/superset/superset.sh", "init", timeout=600)
    sh("infra/superset/superset.sh", "start", timeout=300)
    sh("infra/superset/superset.sh", "import", timeout=300)
    yield
    sh("infra/superset/superset.sh", "stop", check=False)


def test_dashboard_charts_return_data_through_the_api(superset, ingested):
    out = sh(str(ROOT / ".govlake/venv/project/bin/python"), "infra/superset/api_check.py", "chart-data",
             "dashboards").stdout
    counts = dict(re.findall(r"chart (\S+): (\d+) rows", out))
    assert set(counts) == {"户籍人口总数", "性别构成", "年龄结构", "各区县户籍人口"}
    assert all(int(n) > 0 for n in counts.values()), out
    # The big number is the silver row count the ledger promised.
    assert f"'count': {ingested['truth']['expected_silver_rows']}" in out


def test_reimport_is_idempotent(superset):
    sh("infra/superset/superset.sh", "import", timeout=300)
    out = sh(str(ROOT / ".govlake/venv/project/bin/python"), "infra/superset/api_check.py", "imported",
             "dashboards").stdout
    assert out.count("dashboard 户籍人口概览: ok") == 1 and "MISSING" not in out

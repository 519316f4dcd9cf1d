import shutil
from pathlib import Path

import pytest

from govlake import catalogue
from govlake.catalogue import CatalogueError

LAKEHOUSE = Path(__file__).resolve().parents[2] / "lakehouse"


def test_shipped_catalogue_loads():
    cat = catalogue.load()
    res = cat.resource("gongan.hukou")
    assert res.key == "id_number" and res.department_zh == "省公安厅"
    assert all(e in cat.elements for e in res.items.values())


def _copy(tmp_path) -> Path:
    shutil.copytree(LAKEHOUSE, tmp_path / "lakehouse")
    return tmp_path / "lakehouse"


def test_unknown_element_is_reported_with_its_file(tmp_path):
    base = _copy(tmp_path)
    f = base / "catalogue" / "gongan" / "hukou.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("住址: address", "住址: home_address"), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"hukou\.yaml: items\.住址 maps to unknown data element 'home_address'"):
        catalogue.load(base)


def test_bad_severity_is_reported(tmp_path):
    base = _copy(tmp_path)
    f = base / "catalogue" / "gongan" / "hukou.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("severity: warn", "severity: maybe", 1), encoding="utf-8")
    with pytest.raises(CatalogueError, match="severity must be one of"):
        catalogue.load(base)


def test_unknown_resource_lists_the_known_ones():
    with pytest.raises(CatalogueError, match="gongan.hukou"):
        catalogue.load().resource("minzheng.marriage")

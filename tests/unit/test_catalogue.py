import shutil
from pathlib import Path

import pytest

from govlake import catalogue
from govlake.catalogue import CatalogueError

LAKEHOUSE = Path(__file__).resolve().parents[2] / "lakehouse"


def test_shipped_catalogue_loads():
    cat = catalogue.load()
    res = cat.resource("gongan.hukou")
    assert res.key == ("id_number",) and res.department_zh == "省公安厅"
    assert all(i.element in cat.elements for i in res.items)
    assert len(cat.departments()) >= 12 and len(cat.resources) >= 27


def test_catalogue_matches_every_generated_resource():
    """Every resource the sample province delivers has a catalogue entry whose headers (Chinese and
    pinyin) and format are the ones the department uses."""
    from govlake.province.spec import RESOURCES
    cat = catalogue.load()
    for spec in RESOURCES:
        res = cat.resource(spec.code)
        assert [i.column for i in res.items] == [c.zh for c in spec.columns], spec.code
        assert [i.alias for i in res.items] == [c.py for c in spec.columns], spec.code
        assert res.source["format"] == spec.fmt and res.mode == spec.mode, spec.code
        for c in spec.columns:  # every ID-bearing column is checked as such
            if c.kind in ("id", "uscc", "party"):
                item = res.headers()[c.zh]
                assert cat.elements[item.element].normalise in ("citizen_id", "uscc", "party"), (spec.code, c.zh)


def _copy(tmp_path) -> Path:
    shutil.copytree(LAKEHOUSE, tmp_path / "lakehouse")
    return tmp_path / "lakehouse"


def test_unknown_element_is_reported_with_its_file(tmp_path):
    base = _copy(tmp_path)
    f = base / "catalogue" / "gongan" / "hukou.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("element: address}", "element: home_address}"), encoding="utf-8")
    line = next(n for n, text in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if "home_address" in text)
    with pytest.raises(CatalogueError, match=rf"hukou\.yaml:{line}: items\[7\] \(住址\) maps to unknown data element "
                                             "'home_address'"):
        catalogue.load(base)


def test_bad_key_and_reference_are_reported(tmp_path):
    base = _copy(tmp_path)
    f = base / "catalogue" / "renshe" / "social_insurance.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("resource: gongan.hukou", "resource: gongan.nowhere"), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"social_insurance\.yaml:\d+: references\[0\]\.resource 'gongan.nowhere'"):
        catalogue.load(base)
    f.write_text(text.replace("key: [id_number, insurance]", "key: [id_number, policy]"), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"social_insurance\.yaml:\d+: key column 'policy' is not one of"):
        catalogue.load(base)


def test_bad_severity_is_reported(tmp_path):
    base = _copy(tmp_path)
    f = base / "catalogue" / "gongan" / "hukou.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("severity: warn", "severity: maybe", 1), encoding="utf-8")
    line = next(n for n, text in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if "severity: maybe" in text)
    with pytest.raises(CatalogueError, match=rf"hukou\.yaml:{line}: rules\[0\]\.severity must be one of"):
        catalogue.load(base)


def test_missing_key_and_broken_yaml_name_the_file(tmp_path):
    base = _copy(tmp_path)
    f = base / "catalogue" / "gongan" / "hukou.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("  name_zh: 户籍人口基本信息\n", ""), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"hukou\.yaml:\d+: missing required key 'name_zh'"):
        catalogue.load(base)
    f.write_text("resource: [unclosed", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"hukou\.yaml: invalid YAML"):
        catalogue.load(base)


def test_unknown_resource_lists_the_known_ones():
    with pytest.raises(CatalogueError, match="gongan.hukou"):
        catalogue.load().resource("minzheng.nowhere")


def test_committed_data_dictionary_is_current():
    from govlake import dictionary
    committed = (LAKEHOUSE.parent / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert committed == dictionary.render(catalogue.load()), \
        "docs/data_dictionary.md is stale: run `govlake catalogue dictionary --out docs/data_dictionary.md`"


def test_dictionary_lists_every_item_with_its_chinese_name():
    from govlake import dictionary
    cat = catalogue.load()
    text = dictionary.render(cat)
    for res in cat.resources.values():
        for i in res.items:
            assert f"| {i.column} | {i.alias or ''} | {i.name} | {i.element} | {cat.elements[i.element].name_zh} |" in text

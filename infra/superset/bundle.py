"""Render dashboards/ (Superset export format, kept as code) into an import bundle directory,
filling in this installation's endpoints: bundle.py SRC_DIR OUT_DIR TRINO_URI"""
import sys
from pathlib import Path

import yaml


def render(src: Path, out: Path, trino_uri: str) -> int:
    n = 0
    for f in sorted(src.rglob("*.yaml")):
        text = f.read_text(encoding="utf-8").replace("{{ TRINO_URI }}", trino_uri)
        yaml.safe_load(text)  # fail here, with the file name, rather than inside Superset
        target = out / f.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        n += 1
    return n


if __name__ == "__main__":
    src, out, uri = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    try:
        print(f"[govlake] bundle: {render(src, out, uri)} files from {src}", file=sys.stderr)
    except yaml.YAMLError as exc:
        sys.exit(f"[govlake] ERROR: invalid YAML in dashboards/: {exc}")

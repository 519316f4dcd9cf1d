"""Writes one delivery (a folder with a data file and manifest.json) in a department's own format:
CSV, TSV, JSON lines or XLSX; UTF-8 (with or without BOM) or GBK; Chinese or pinyin headers."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

SUFFIX = {"csv": "csv", "tsv": "tsv", "jsonl": "jsonl", "xlsx": "xlsx"}


class DeliveryWriter:
    def __init__(self, folder: Path, stem: str, fmt: str, encoding: str, headers: list[str]):
        self.folder, self.fmt, self.encoding, self.headers = folder, fmt, encoding, headers
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{stem}.{SUFFIX[fmt]}"
        self.rows = 0
        if fmt == "xlsx":
            from openpyxl import Workbook
            self._wb = Workbook(write_only=True)
            self._ws = self._wb.create_sheet("数据")
            self._ws.append(headers)
        else:
            self._fh = self.path.open("w", encoding=encoding, newline="", errors="strict")
            if fmt in ("csv", "tsv"):
                self._csv = csv.writer(self._fh, delimiter="," if fmt == "csv" else "\t", lineterminator="\r\n"
                                       if encoding == "gbk" else "\n")
                self._csv.writerow(headers)

    def write(self, values: list) -> None:
        self.rows += 1
        if self.fmt == "xlsx":
            self._ws.append(["" if v is None else str(v) for v in values])
        elif self.fmt == "jsonl":
            self._fh.write(json.dumps(dict(zip(self.headers, values)), ensure_ascii=False) + "\n")
        else:
            self._csv.writerow(["" if v is None else v for v in values])

    def close(self, manifest: dict) -> dict:
        if self.fmt == "xlsx":
            self._wb.save(self.path)
        else:
            self._fh.close()
        sha = hashlib.sha256(self.path.read_bytes()).hexdigest()
        manifest = {**manifest, "files": [{"name": self.path.name, "sha256": sha, "rows": self.rows,
                                           "format": self.fmt, "encoding": self.encoding,
                                           "columns": self.headers}]}
        (self.folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                                   encoding="utf-8")
        return manifest


def read_delivery(folder: Path) -> tuple[dict, list[str], list[list[str]]]:
    """(manifest, headers, rows) of a delivery, whatever its format: for tests and quick checks."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    f = manifest["files"][0]
    path = folder / f["name"]
    if f["format"] == "xlsx":
        from openpyxl import load_workbook
        ws = load_workbook(path, read_only=True).active
        rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
        return manifest, rows[0], rows[1:]
    text = path.read_text(encoding=f["encoding"])
    if f["format"] == "jsonl":
        records = [json.loads(line) for line in text.splitlines() if line]
        return manifest, f["columns"], [[r.get(h, "") for h in f["columns"]] for r in records]
    rows = list(csv.reader(io.StringIO(text), delimiter="," if f["format"] == "csv" else "\t"))
    return manifest, rows[0], rows[1:]

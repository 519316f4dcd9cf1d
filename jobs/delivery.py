"""Reading a department's delivery file in whatever form the catalogue agreed with it: CSV or TSV,
JSON lines, or XLSX; UTF-8 (with or without BOM) or GBK; Chinese or pinyin headers.

`inspect` runs at landing, in plain Python, and refuses a delivery that cannot be read as agreed
(wrong format or encoding, missing or extra columns, truncated, empty, unreadable). `read` turns an
accepted file into a DataFrame of strings whose columns carry the catalogue's Chinese headers, plus
`_corrupt_record` for rows whose shape does not fit the header (they are quarantined later).
"""
from __future__ import annotations

import codecs
import csv
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from govlake.catalogue import Resource

CORRUPT = "_corrupt_record"
UTF8 = {"utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig"}


class DeliveryError(ValueError):
    """The delivery cannot be read as the catalogue says; the message is for the department."""


@dataclass(frozen=True)
class Inspection:
    format: str
    encoding: str
    header: list[str]
    rows: int
    malformed: int


def _family(enc: str | None) -> str:
    e = (enc or "utf-8").lower().replace("_", "-")
    return "utf-8" if e in UTF8 else "gbk" if e in ("gbk", "gb2312", "gb18030", "cp936") else e


def python_encoding(enc: str) -> str:
    return "utf-8-sig" if _family(enc) == "utf-8" else "gb18030" if _family(enc) == "gbk" else enc


def _agreed(res: Resource, f: dict) -> tuple[str, str]:
    fmt, enc = res.source["format"], res.source.get("encoding", "utf-8")
    if f.get("format") and f["format"] != fmt:
        raise DeliveryError(f"交付格式 {f['format']} 与目录约定的 {fmt} 不符")
    if fmt != "xlsx" and f.get("encoding") and _family(f["encoding"]) != _family(enc):
        raise DeliveryError(f"清单声明的编码 {f['encoding']} 与目录约定的 {enc} 不符")
    return fmt, enc


def check_header(header: list[str], res: Resource) -> None:
    known = res.headers()
    extra = [h for h in header if h not in known]
    covered = {known[h].name for h in header if h in known}
    missing = [i.column for i in res.items if i.name not in covered]
    dup = sorted({known[h].column for h in header if h in known and
                  sum(1 for x in header if x in known and known[x].name == known[h].name) > 1})
    problems = []
    if missing:
        problems.append(f"缺少列 {missing}")
    if extra:
        problems.append(f"多出列 {extra}")
    if dup:
        problems.append(f"列重复 {dup}")
    if problems:
        raise DeliveryError("列与目录不符：" + "，".join(problems))


def _lines(path: Path, enc: str):
    """Decoded lines, strictly: a byte sequence invalid in the agreed encoding refuses the delivery."""
    decoder = codecs.getincrementaldecoder(python_encoding(enc))(errors="strict")
    pos = 0
    with path.open("rb") as fh:
        buf = ""
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            try:
                buf += decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise DeliveryError(f"文件不是约定的 {enc.upper()} 编码（第 {pos + exc.start + 1} 字节附近无法解码）") from None
            pos += len(chunk)
            *complete, buf = buf.split("\n")
            for line in complete:
                yield line + "\n"
        try:
            buf += decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise DeliveryError(f"文件不是约定的 {enc.upper()} 编码（文件末尾无法解码，可能被截断）") from None
        if buf:
            yield buf


def inspect(path: Path, res: Resource, f: dict) -> Inspection:
    fmt, enc = _agreed(res, f)
    if path.stat().st_size == 0:
        raise DeliveryError("交付为空：文件没有内容")
    if fmt == "xlsx":
        header, rows, bad = _inspect_xlsx(path)
    elif fmt == "jsonl":
        header, rows, bad = _inspect_jsonl(path, enc)
    else:
        header, rows, bad = _inspect_csv(path, enc, "," if fmt == "csv" else "\t")
    check_header(header, res)
    if rows == 0 and res.mode == "full":
        raise DeliveryError("全量快照为空：只有表头，没有数据行")
    if f.get("rows") is not None and int(f["rows"]) != rows:
        raise DeliveryError(f"行数与清单不符（清单 {f['rows']} 行，实际读到 {rows} 行），文件可能被截断")
    return Inspection(fmt, enc, header, rows, bad)


def _inspect_csv(path: Path, enc: str, sep: str) -> tuple[list[str], int, int]:
    reader = csv.reader(_lines(path, enc), delimiter=sep)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise DeliveryError("交付为空：文件没有内容") from None
    except csv.Error as exc:
        raise DeliveryError(f"不是有效的 {sep == ',' and 'CSV' or 'TSV'} 文件：{exc}") from None
    rows = bad = 0
    last_ok = True
    try:
        for row in reader:
            if not row:
                continue
            rows += 1
            last_ok = len(row) == len(header)
            bad += not last_ok
    except csv.Error as exc:
        raise DeliveryError(f"第 {rows + 2} 行无法解析：{exc}（文件可能被截断）") from None
    if not last_ok:
        raise DeliveryError(f"文件被截断：最后一行的字段数与表头（{len(header)} 列）不符")
    return header, rows, bad


def _inspect_jsonl(path: Path, enc: str) -> tuple[list[str], int, int]:
    header: list[str] | None = None
    rows = bad = 0
    last_ok = True
    for line in _lines(path, enc):
        if not line.strip():
            continue
        rows += 1
        try:
            rec = json.loads(line)
            last_ok = isinstance(rec, dict)
        except ValueError:
            last_ok = False
        if last_ok and header is None:
            header = list(rec)
        bad += not last_ok
    if rows and not last_ok:
        raise DeliveryError("文件被截断：最后一行不是完整的 JSON 对象")
    if header is None:
        raise DeliveryError("交付为空：文件没有内容")
    return header, rows, bad


def _inspect_xlsx(path: Path) -> tuple[list[str], int, int]:
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, read_only=True)
        it = wb.worksheets[0].iter_rows(values_only=True)
        first = next(it, None)
        if first is None:
            raise DeliveryError("交付为空：工作表没有内容")
        header = [str(h).strip() for h in first if h is not None]
        rows = sum(1 for r in it if any(v not in (None, "") for v in r))
        wb.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        if isinstance(exc, DeliveryError):
            raise
        raise DeliveryError(f"无法读取 XLSX 文件（不是有效的 Excel 工作簿）：{type(exc).__name__}") from None
    return header, rows, 0


def xlsx_to_csv(path: Path, out: Path) -> None:
    """The first sheet as a UTF-8 CSV that Spark can read."""
    from openpyxl import load_workbook
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = load_workbook(path, read_only=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        for r in wb.worksheets[0].iter_rows(values_only=True):
            if any(v not in (None, "") for v in r):
                w.writerow(["" if v is None else str(v) for v in r])
    wb.close()


def transcode(path: Path, enc: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with path.open("r", encoding=python_encoding(enc), newline="") as src, \
            out.open("w", encoding="utf-8", newline="") as dst:
        for chunk in iter(lambda: src.read(1 << 20), ""):
            dst.write(chunk)


def read(spark, path: Path, manifest: dict, res: Resource, scratch: str):
    """The landed file as strings, columns renamed to the catalogue's Chinese headers."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    header = manifest["header"]
    known = res.headers()
    zh = [known[h].column for h in header]
    fmt = manifest.get("format") or res.source["format"]
    schema = T.StructType([T.StructField(h, T.StringType()) for h in (zh if fmt != "jsonl" else header)]
                          + [T.StructField(CORRUPT, T.StringType())])
    if fmt == "jsonl":
        df = (spark.read.schema(schema).option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT)
              .option("encoding", python_encoding(manifest.get("encoding", "utf-8")).replace("-sig", ""))
              .json(str(path)))
        return df.select(*[F.col(f"`{h}`").alias(z) for h, z in zip(header, zh)], CORRUPT)
    src, enc, sep = str(path), manifest.get("encoding", "utf-8"), "\t" if fmt == "tsv" else ","
    if fmt == "xlsx":
        src = str(Path(scratch) / "sheet.csv")
        xlsx_to_csv(path, Path(src))
        sep = ","
    elif _family(enc) != "utf-8":
        # Spark 4 reads CSV only in Unicode or Latin charsets: GBK is transcoded first (once, streaming).
        src = str(Path(scratch) / "utf8.csv")
        transcode(path, enc, Path(src))
    return (spark.read.schema(schema).option("header", True).option("sep", sep).option("encoding", "UTF-8")
            .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT)
            .option("enforceSchema", True).option("ignoreLeadingWhiteSpace", False)
            .option("ignoreTrailingWhiteSpace", False).csv(src))


def with_row_numbers(df):
    """`_row_number`: 1-based position of the data row in the file (files are read in order)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    return (df.withColumn("_mono", F.monotonically_increasing_id())
            .withColumn("_row_number", F.row_number().over(Window.orderBy("_mono"))).drop("_mono"))

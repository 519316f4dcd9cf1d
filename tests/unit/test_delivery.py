"""Malformed deliveries are refused at landing with a reason a department can act on."""
import json

import pytest

from govlake import catalogue
from jobs import delivery
from jobs.delivery import DeliveryError

HEADER = "公民身份号码,姓名,性别,出生日期,民族,户籍地行政区划,户号,住址"
ROW = "11010519491231002X,王芳,2,1949-12-31,01,330102,H1,杭州市上城区"


@pytest.fixture(scope="module")
def hukou():
    return catalogue.load().resource("gongan.hukou")


def _file(tmp_path, text: str | bytes, name="hukou.csv"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def test_a_good_delivery_is_inspected(tmp_path, hukou):
    insp = delivery.inspect(_file(tmp_path, f"\ufeff{HEADER}\n{ROW}\n{ROW}\n"), hukou, {"rows": 2})
    assert (insp.rows, insp.malformed, insp.header[0]) == (2, 0, "公民身份号码")


def test_pinyin_headers_are_accepted(tmp_path, hukou):
    insp = delivery.inspect(_file(tmp_path, f"sfzh,xm,xb,csrq,mz,hjdxzqh,hh,zz\n{ROW}\n"), hukou, {})
    assert insp.rows == 1


@pytest.mark.parametrize("content, manifest, reason", [
    ((HEADER + "\n" + ROW + "\n").encode("gbk"), {}, "不是约定的 UTF-8 编码"),
    (HEADER.replace(",住址", "") + "\n" + ROW.rsplit(",", 1)[0] + "\n", {}, "缺少列 ['住址']"),
    (HEADER + ",备注\n" + ROW + ",x\n", {}, "多出列 ['备注']"),
    (HEADER + "\n" + ROW + "\n" + ROW[:30], {}, "文件被截断"),
    (HEADER + "\n", {}, "全量快照为空"),
    ("", {}, "文件没有内容"),
    (HEADER + "\n" + ROW + "\n", {"rows": 5}, "行数与清单不符（清单 5 行，实际读到 1 行）"),
    (HEADER + "\n" + ROW + "\n", {"format": "xlsx"}, "交付格式 xlsx 与目录约定的 csv 不符"),
    (HEADER + "\n" + ROW + "\n", {"encoding": "gbk"}, "清单声明的编码 gbk 与目录约定的 utf-8 不符"),
])
def test_malformed_deliveries_are_refused_with_a_reason(tmp_path, hukou, content, manifest, reason):
    with pytest.raises(DeliveryError) as exc:
        delivery.inspect(_file(tmp_path, content), hukou, manifest)
    assert reason in str(exc.value)


def test_unreadable_xlsx_and_jsonl(tmp_path):
    cat = catalogue.load()
    with pytest.raises(DeliveryError, match="无法读取 XLSX"):
        delivery.inspect(_file(tmp_path, b"not a workbook", "x.xlsx"), cat.resource("minzheng.dibao"), {})
    emp = cat.resource("renshe.employment")
    rec = {i.alias: "x" for i in emp.items}
    good = json.dumps(rec, ensure_ascii=False)
    assert delivery.inspect(_file(tmp_path, f"{good}\n{{broken\n{good}\n", "e.jsonl"), emp, {}).malformed == 1
    with pytest.raises(DeliveryError, match="最后一行不是完整的 JSON"):
        delivery.inspect(_file(tmp_path, f"{good}\n{good[:20]}", "e.jsonl"), emp, {})


def test_an_empty_increment_is_a_valid_day(tmp_path):
    cat = catalogue.load()
    births = cat.resource("weijian.birth")
    header = ",".join(i.alias for i in births.items)
    assert delivery.inspect(_file(tmp_path, header + "\n"), births, {"rows": 0}).rows == 0

"""The departments and resources of the sample province, as each department delivers them.

Every resource: provider department, Chinese name, delivery mode (full snapshot or daily increment),
file format, encoding, header style, date style, and its columns as (key, kind, Chinese header,
pinyin header). `kind` tells the defect injector what a column holds (id, uscc, party — an ID or a
USCC —, sex, date, text).
"""
from __future__ import annotations

from dataclasses import dataclass

DEPARTMENTS = {
    "gongan": "省公安厅", "minzheng": "省民政厅", "renshe": "省人力资源和社会保障厅",
    "shichang": "省市场监督管理局", "shuiwu": "省税务局", "weijian": "省卫生健康委员会",
    "zhujian": "省住房和城乡建设厅", "jiaoyu": "省教育厅", "fayuan": "省高级人民法院",
    "zwfw": "省政务服务管理局", "xinyong": "省发展改革委（信用办）", "dashuju": "省大数据发展管理局",
}


@dataclass(frozen=True)
class Column:
    key: str
    kind: str
    zh: str
    py: str


@dataclass(frozen=True)
class ResourceSpec:
    code: str
    name_zh: str
    mode: str          # full | incremental
    fmt: str           # csv | tsv | jsonl | xlsx
    encoding: str      # utf-8 | utf-8-sig | gbk
    headers: str       # zh | pinyin
    date_style: str
    columns: tuple[Column, ...]

    @property
    def department(self) -> str:
        return self.code.split(".")[0]

    @property
    def name(self) -> str:
        return self.code.split(".")[1]

    def header_row(self) -> list[str]:
        return [c.zh if self.headers == "zh" else c.py for c in self.columns]


def _cols(*items: str) -> tuple[Column, ...]:
    out = []
    for item in items:
        key, kind, zh, py = item.split("|")
        out.append(Column(key, kind, zh, py))
    return tuple(out)


PERSON = ("id_number|id|公民身份号码|sfzh", "name|text|姓名|xm")
ENTITY = ("uscc|uscc|统一社会信用代码|tyshxydm", "entity_name|text|单位名称|dwmc")

RESOURCES: tuple[ResourceSpec, ...] = (
    # The 户籍 snapshot keeps the layout the catalogue declares for it (lakehouse/catalogue/gongan).
    ResourceSpec("gongan.hukou", "户籍人口基本信息", "full", "csv", "utf-8", "zh", "%Y-%m-%d", _cols(
        "id_number|id|公民身份号码|sfzh", "name|text|姓名|xm", "sex|sex|性别|xb", "birth_date|date|出生日期|csrq",
        "ethnicity|text|民族|mz", "region_code|text|户籍地行政区划|hjdxzqh", "household_id|text|户号|hh",
        "address|text|住址|zz")),
    ResourceSpec("gongan.household", "户籍户信息", "full", "csv", "utf-8-sig", "zh", "%Y%m%d", _cols(
        "household_id|text|户号|hh", "head_id|id|户主公民身份号码|hzsfzh", "head_name|text|户主姓名|hzxm",
        "village_code|text|村（居）委会代码|cjwhdm", "members|text|户内人数|hnrs", "address|text|住址|zz")),
    ResourceSpec("minzheng.marriage", "婚姻登记信息", "incremental", "tsv", "gbk", "pinyin", "%Y%m%d", _cols(
        "man_id|id|男方公民身份号码|nfsfzh", "man_name|text|男方姓名|nfxm", "woman_id|id|女方公民身份号码|vfsfzh",
        "woman_name|text|女方姓名|vfxm", "kind|text|登记类型|djlx", "reg_date|date|登记日期|djrq",
        "office|text|登记机关|djjg")),
    ResourceSpec("minzheng.dibao", "城乡低保对象", "full", "xlsx", "utf-8", "zh", "%Y-%m-%d", _cols(
        *PERSON, "household_id|text|户号|hh", "members|text|保障人数|bzrs", "amount|text|月保障金额|ybzje",
        "since|date|纳入日期|nrrq", "region_code|text|行政区划|xzqh")),
    ResourceSpec("minzheng.social_org", "社会组织登记信息", "full", "csv", "gbk", "zh", "%Y/%m/%d", _cols(
        *ENTITY, "org_type|text|组织类型|zzlx", "rep_id|id|法定代表人公民身份号码|fddbrsfzh",
        "rep_name|text|法定代表人|fddbr", "reg_date|date|成立登记日期|cldjrq", "region_code|text|住所行政区划|zsxzqh")),
    ResourceSpec("renshe.social_insurance", "社会保险参保信息", "full", "csv", "gbk", "pinyin", "%Y%m%d", _cols(
        *PERSON, "insurance|text|险种|xz", "employer_uscc|uscc|参保单位统一社会信用代码|cbdwdm",
        "since|date|参保日期|cbrq", "status|text|参保状态|cbzt")),
    ResourceSpec("renshe.employment", "就业登记信息", "incremental", "jsonl", "utf-8", "pinyin", "%Y-%m-%d", _cols(
        *PERSON, "employer_uscc|uscc|用工单位统一社会信用代码|ygdwdm", "kind|text|登记类型|djlx",
        "reg_date|date|登记日期|djrq")),
    ResourceSpec("shichang.enterprise", "企业登记信息", "full", "csv", "utf-8", "zh", "%Y-%m-%d", _cols(
        *ENTITY, "entity_type|text|市场主体类型|scztlx", "rep_id|id|法定代表人公民身份号码|fddbrsfzh",
        "rep_name|text|法定代表人|fddbr", "industry|text|国民经济行业代码|hydm", "capital|text|注册资本（万元）|zczb",
        "established|date|成立日期|clrq", "status|text|登记状态|djzt", "region_code|text|住所行政区划|zsxzqh")),
    ResourceSpec("shichang.individual_business", "个体工商户登记信息", "full", "csv", "gbk", "zh", "%Y年%m月%d日", _cols(
        *ENTITY, "operator_id|id|经营者公民身份号码|jyzsfzh", "operator_name|text|经营者姓名|jyzxm",
        "industry|text|国民经济行业代码|hydm", "established|date|成立日期|clrq", "status|text|登记状态|djzt",
        "region_code|text|经营场所行政区划|jycsxzqh")),
    ResourceSpec("shichang.status_change", "市场主体变更注销信息", "incremental", "csv", "utf-8-sig", "zh", "%Y-%m-%d", _cols(
        *ENTITY, "change|text|变更事项|bgsx", "new_status|text|变更后状态|bghzt", "change_date|date|变更日期|bgrq")),
    ResourceSpec("shichang.penalty", "行政处罚信息", "incremental", "csv", "utf-8", "zh", "%Y-%m-%d", _cols(
        *ENTITY, "decision_no|text|处罚决定书文号|cfjdsh", "reason|text|违法行为类型|wfxwlx",
        "amount|text|罚款金额（元）|fkje", "decided|date|处罚决定日期|cfjdrq")),
    ResourceSpec("shichang.abnormal", "经营异常名录", "incremental", "xlsx", "utf-8", "zh", "%Y-%m-%d", _cols(
        *ENTITY, "reason|text|列入原因|lryy", "listed|date|列入日期|lrrq", "authority|text|作出决定机关|zcjdjg")),
    ResourceSpec("shuiwu.tax_credit", "纳税信用等级", "full", "csv", "utf-8", "pinyin", "%Y-%m-%d", _cols(
        *ENTITY, "year|text|评价年度|pjnd", "grade|text|信用等级|xydj")),
    ResourceSpec("shuiwu.arrears", "欠税公告信息", "incremental", "jsonl", "utf-8", "zh", "%Y-%m-%d", _cols(
        *ENTITY, "tax|text|欠税税种|qssz", "amount|text|欠税余额（元）|qsye", "announced|date|公告日期|ggrq")),
    ResourceSpec("weijian.birth", "出生医学证明信息", "incremental", "csv", "utf-8", "pinyin", "%Y%m%d", _cols(
        "cert_no|text|出生医学证明编号|csyxzmbh", "child_name|text|新生儿姓名|xsexm", "sex|sex|性别|xb",
        "birth_date|date|出生日期|csrq", "mother_id|id|母亲公民身份号码|mqsfzh", "father_id|id|父亲公民身份号码|fqsfzh",
        "hospital_region|text|接生机构行政区划|jsjgxzqh")),
    ResourceSpec("weijian.death", "死亡医学证明信息", "incremental", "csv", "gbk", "zh", "%Y/%m/%d", _cols(
        *PERSON, "death_date|date|死亡日期|swrq", "cause|text|死亡原因分类|swyy", "region_code|text|死亡地行政区划|swdxzqh")),
    ResourceSpec("zhujian.property", "不动产登记信息", "full", "csv", "utf-8", "zh", "%Y-%m-%d", _cols(
        "cert_no|text|不动产权证号|bdcqzh", "owner_id|id|权利人公民身份号码|qlrsfzh", "owner_name|text|权利人|qlr",
        "area|text|建筑面积（平方米）|jzmj", "use|text|用途|yt", "registered|date|登簿日期|dbrq",
        "region_code|text|坐落行政区划|zlxzqh")),
    ResourceSpec("zhujian.housing_fund", "住房公积金缴存信息", "full", "tsv", "gbk", "pinyin", "%Y%m%d", _cols(
        *PERSON, "account|text|个人账号|grzh", "employer_uscc|uscc|缴存单位统一社会信用代码|jcdwdm",
        "monthly|text|月缴存额（元）|yjce", "opened|date|开户日期|khrq")),
    ResourceSpec("jiaoyu.student", "学生学籍信息", "full", "csv", "utf-8-sig", "zh", "%Y-%m-%d", _cols(
        *PERSON, "sex|sex|性别|xb", "birth_date|date|出生日期|csrq", "school|text|学校名称|xxmc",
        "stage|text|学段|xd", "grade|text|年级|nj", "region_code|text|学校所在行政区划|xxszxzqh")),
    ResourceSpec("fayuan.dishonest", "失信被执行人信息", "incremental", "jsonl", "utf-8", "pinyin", "%Y-%m-%d", _cols(
        "party_id|party|被执行人证件号码|bzxrzjhm", "party_name|text|被执行人名称|bzxrmc", "party_type|text|被执行人类型|bzxrlx",
        "case_no|text|执行案号|zxah", "court|text|执行法院|zxfy", "published|date|发布日期|fbrq")),
    ResourceSpec("xinyong.redlist", "守信红名单", "full", "csv", "utf-8", "zh", "%Y-%m-%d", _cols(
        *ENTITY, "list_type|text|红名单类型|hmdlx", "listed|date|认定日期|rdrq", "authority|text|认定部门|rdbm")),
    ResourceSpec("xinyong.blacklist", "严重失信主体名单", "full", "csv", "utf-8", "zh", "%Y-%m-%d", _cols(
        *ENTITY, "list_type|text|黑名单类型|hmdlx", "listed|date|认定日期|rdrq", "authority|text|认定部门|rdbm")),
    ResourceSpec("xinyong.licensing", "行政许可公示信息", "incremental", "csv", "utf-8", "zh", "%Y-%m-%d", _cols(
        *ENTITY, "licence_no|text|许可证书编号|xkzsbh", "licence|text|许可事项|xksx", "decided|date|许可决定日期|xkjdrq",
        "valid_to|date|有效期至|yxqz", "authority|text|许可机关|xkjg")),
    ResourceSpec("zwfw.service_item", "政务服务事项目录", "full", "xlsx", "utf-8", "zh", "%Y-%m-%d", _cols(
        "item_code|text|事项编码|sxbm", "item_name|text|事项名称|sxmc", "item_type|text|事项类型|sxlx",
        "department|text|实施部门|ssbm", "level|text|行使层级|xscj", "legal_days|text|法定办结时限（工作日）|fdbjsx",
        "promised_days|text|承诺办结时限（工作日）|cnbjsx", "online|text|是否网上可办|sfwskb", "max_trips|text|最多跑动次数|zdpdcs",
        "target|text|服务对象|fwdx")),
    ResourceSpec("zwfw.case", "政务服务办件信息", "incremental", "csv", "utf-8", "pinyin", "%Y-%m-%d %H:%M:%S", _cols(
        "case_no|text|办件编号|bjbh", "item_code|text|事项编码|sxbm", "applicant_type|text|申请人类型|sqrlx",
        "applicant_id|text|申请人证件号码|sqrzjhm", "applicant_name|text|申请人名称|sqrmc", "channel|text|申请渠道|sqqd",
        "received_at|text|受理时间|slsj", "finished_at|text|办结时间|bjsj", "trips|text|跑动次数|pdcs",
        "materials|text|提交材料数|tjclsl", "result|text|办理结果|bljg", "region_code|text|受理地行政区划|sldxzqh")),
    ResourceSpec("zwfw.rating", "政务服务好差评", "incremental", "jsonl", "utf-8", "zh", "%Y-%m-%d", _cols(
        "case_no|text|办件编号|bjbh", "score|text|评价等级|pjdj", "channel|text|评价渠道|pjqd",
        "rated|date|评价日期|pjrq", "comment|text|评价内容|pjnr")),
    ResourceSpec("dashuju.e_licence", "电子证照信息", "incremental", "csv", "utf-8", "zh", "%Y-%m-%d", _cols(
        "licence_no|text|证照编号|zzbh", "licence_type|text|证照类型|zzlx", "holder_id|text|持证主体代码|czztdm",
        "holder_name|text|持证主体名称|czztmc", "issued|date|发证日期|fzrq", "issuer|text|发证机关|fzjg",
        "case_no|text|关联办件编号|glbjbh")),
)

BY_CODE = {r.code: r for r in RESOURCES}

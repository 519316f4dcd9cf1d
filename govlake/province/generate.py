"""Generates a province's department deliveries and their ground truth.

Deterministic for a seed; rows stream straight to the delivery files. Memory holds only what later
resources must refer to (the adults, the legal entities, the service items), never whole files.

Layout: <out>/<department>/<resource>/<YYYYMMDD>-<seq>/{<resource>.<ext>, manifest.json}; the ground
truth goes to a separate folder (never inside the landing tree): persons.csv, entities.csv,
defects.jsonl, summary.json.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from govlake import ids, uscc
from govlake.province import divisions
from govlake.province.mess import DEFAULT_RATES, Mess
from govlake.province.spec import BY_CODE, DEPARTMENTS, ResourceSpec
from govlake.province.writer import DeliveryWriter

TZ = dt.timezone(dt.timedelta(hours=8))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌鹏辉宇浩然欣怡子涵梓轩雨桐晨阳思远佳琪俊峰婷雪慧佳晓丹凯雯倩琳博文昊天嘉怡诗涵一诺梓萱若汐"
STREETS = ["解放路", "建国路", "人民路", "中山路", "文化路", "湖滨路", "凤起路", "延安路", "新华路", "和平路"]
ETHNICITY = ["01"] * 92 + ["02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "15"]
# A few real GB/T 4754-2017 classes: (code, name).
INDUSTRIES = [("0111", "稻谷种植"), ("1711", "棉纺纱加工"), ("1810", "机织服装制造"), ("2614", "有机化学原料制造"),
              ("3311", "金属结构制造"), ("3484", "机械零部件加工"), ("3912", "计算机零部件制造"), ("4710", "房屋建筑业"),
              ("5121", "米、面制品及食用油批发"), ("5211", "百货零售"), ("5261", "汽车新车零售"), ("5411", "城市公共交通运输"),
              ("5810", "多式联运"), ("6110", "旅游饭店"), ("6210", "正餐服务"), ("6513", "应用软件开发"),
              ("6920", "货币银行服务"), ("7010", "房地产开发经营"), ("7212", "投资与资产管理"), ("7320", "工程和技术研究和试验发展"),
              ("8010", "家庭服务"), ("8310", "普通小学教育"), ("8411", "综合医院"), ("9011", "文艺创作与表演")]
ITEMS = [("户口迁移", "公安"), ("居民身份证申领", "公安"), ("出入境证件办理", "公安"), ("结婚登记", "民政"),
         ("最低生活保障审核", "民政"), ("社会团体成立登记", "民政"), ("失业登记", "人社"), ("社保关系转移", "人社"),
         ("职业资格证书核发", "人社"), ("企业设立登记", "市场监管"), ("企业变更登记", "市场监管"), ("食品经营许可", "市场监管"),
         ("个体工商户注册", "市场监管"), ("发票领用", "税务"), ("纳税申报", "税务"), ("出生医学证明办理", "卫健"),
         ("医师执业注册", "卫健"), ("不动产登记", "住建"), ("公积金提取", "住建"), ("建筑工程施工许可", "住建"),
         ("义务教育入学", "教育"), ("教师资格认定", "教育"), ("法律援助申请", "司法"), ("道路运输经营许可", "交通")]
CHANNELS = ["网上办理", "移动端", "窗口办理", "自助终端"]
RATINGS = [("5", "非常满意"), ("4", "满意"), ("3", "基本满意"), ("2", "不满意"), ("1", "非常不满意")]


@dataclass
class Entity:
    code: str
    name: str
    kind: str        # enterprise | individual | coop | social_org
    county: int
    rep: int         # index into adults
    industry: str
    established: dt.date
    status: str = "存续"


@dataclass
class State:
    """What later resources refer to, kept compact."""
    adults: list[tuple[str, str, int, dt.date, str]] = field(default_factory=list)  # id, name, county, birth, sex
    entities: list[Entity] = field(default_factory=list)
    used_ids: set[str] = field(default_factory=set)
    alive: list[bool] = field(default_factory=list)  # per adult
    single: list[int] = field(default_factory=list)  # adults never married, candidates for marriage
    cases_done: list[tuple[str, str, str, str, dt.date]] = field(default_factory=list)


class Generator:
    def __init__(self, out: Path, truth: Path, cache: str | Path, persons: int, seed: int, days: int,
                 start: dt.date, rates: dict[str, float] | None = None, province: str = "33"):
        self.out, self.truth, self.persons, self.seed, self.days, self.start = out, truth, persons, seed, days, start
        self.rates = {**DEFAULT_RATES, **(rates or {})}
        self.prov = divisions.load(cache, province)
        self.state = State()
        self.rng = random.Random(seed)
        self.summary: dict[str, dict] = {}
        truth.mkdir(parents=True, exist_ok=True)
        self._defects = (truth / "defects.jsonl").open("w", encoding="utf-8")
        self.mess = Mess(random.Random(seed + 1), self.rates, self._log_defect)
        self._where: tuple = ()

    # --- helpers ------------------------------------------------------------------------------------

    def _log_defect(self, resource: str, delivery: str, row: int, field_: str, kind: str, clean: str) -> None:
        self._defects.write(json.dumps({"resource": resource, "delivery": delivery, "row": row, "field": field_,
                                        "kind": kind, "clean": clean}, ensure_ascii=False) + "\n")
        c = self.summary.setdefault(resource, {}).setdefault("defects", {})
        c[kind] = c.get(kind, 0) + 1

    def name(self) -> str:
        r = self.rng
        return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2))))

    def new_id(self, county: int, born: dt.date, sex: str) -> str:
        code = self.prov.counties[county].code
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex == "1" else 0)
            first17 = f"{code}{born:%Y%m%d}{seq:03d}"
            if first17 not in self.state.used_ids:
                self.state.used_ids.add(first17)
                return first17 + ids.check_char(first17)

    def new_uscc(self, authority: str, org_type: str, county: int) -> str:
        body = "".join(self.rng.choice("0123456789") for _ in range(8))
        if self.rng.random() < 0.5:
            body = "MA" + "".join(self.rng.choice(uscc.ALPHABET) for _ in range(6))
        return uscc.make_uscc(authority, org_type, self.prov.counties[county].code, body)

    def day(self, d: int) -> dt.date:
        return self.start + dt.timedelta(days=d)

    # --- deliveries ------------------------------------------------------------------------------------

    def open(self, spec: ResourceSpec, d: int) -> "Delivery":
        return Delivery(self, spec, d)

    def _deliver_times(self) -> dict[int, dt.datetime]:
        """When each day's deliveries arrive: next morning, some late, some before the previous day's."""
        times, r = {}, random.Random(self.seed + 2)
        for d in range(self.days + 1):
            t = dt.datetime.combine(self.day(d + 1), dt.time(8, 0), TZ)
            if d and r.random() < self.rates["late_delivery"]:
                t += dt.timedelta(days=r.randint(1, 3))
            times[d] = t
        for d in range(2, self.days + 1):
            if r.random() < self.rates["out_of_order"]:
                times[d] = times[d - 1] - dt.timedelta(hours=1)
        return times

    # --- the province ------------------------------------------------------------------------------------

    def run(self) -> dict:
        self.when = self._deliver_times()
        self.people()
        self.legal_entities()
        self.employment()
        items = self.service_items()
        for d in range(1, self.days + 1):
            self.daily(d, items)
        self._defects.close()
        self._write_entities()
        summary = {"province": self.prov.name, "persons": self.persons, "seed": self.seed, "days": self.days,
                   "start": self.start.isoformat(), "departments": DEPARTMENTS, "rates": self.rates,
                   "resources": self.summary}
        (self.truth / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
        return summary

    def people(self) -> None:
        """Households of 1-5 people: 户籍, 户, 低保, 学籍, 不动产, and the adults the rest refer to."""
        r, st = self.rng, self.state
        hukou, household = self.open(BY_CODE["gongan.hukou"], 0), self.open(BY_CODE["gongan.household"], 0)
        dibao, student = self.open(BY_CODE["minzheng.dibao"], 0), self.open(BY_CODE["jiaoyu.student"], 0)
        prop, marriage = self.open(BY_CODE["zhujian.property"], 0), self.open(BY_CODE["minzheng.marriage"], 0)
        truth_f = (self.truth / "persons.csv").open("w", encoding="utf-8", newline="")
        truth = csv.writer(truth_f)
        truth.writerow(["id_number", "name", "sex", "birth_date", "ethnicity", "region_code", "village_code",
                        "household_id", "relation", "spouse_id"])
        made, hh_seq, today = 0, 0, self.start
        while made < self.persons:
            county = r.randrange(len(self.prov.counties))
            c = self.prov.counties[county]
            village = r.choice(c.villages)
            hh_seq += 1
            hh_id = f"{c.code}{hh_seq:08d}"
            address = f"{self.prov.name}{c.city_name}{c.name}{village[2]}{r.choice(STREETS)}{r.randrange(1, 500)}号"
            head_born = today - dt.timedelta(days=r.randrange(20 * 365, 85 * 365))
            members = [("户主", head_born, r.choice("12"))]
            if r.random() < 0.65:
                members.append(("配偶", head_born + dt.timedelta(days=r.randrange(-1500, 1500)),
                                "2" if members[0][2] == "1" else "1"))
            for _ in range(r.choice((0, 0, 1, 1, 2, 3)) if len(members) == 2 else 0):
                child = head_born + dt.timedelta(days=r.randrange(21 * 365, 40 * 365))
                if child < today:
                    members.append(("子女", child, r.choice("12")))
            members = members[: self.persons - made]
            surname, people = None, []
            eth = r.choice(ETHNICITY)
            for rel, born, sex in members:
                pid = self.new_id(county, born, sex)
                nm = self.name()
                if rel == "子女" and surname:
                    nm = surname + nm[1:]
                if rel == "户主":
                    surname = nm[0]
                people.append((pid, nm, sex, born, rel))
            spouse = {people[0][0]: people[1][0], people[1][0]: people[0][0]} if len(people) > 1 and people[1][4] == "配偶" else {}
            for pid, nm, sex, born, rel in people:
                hukou.row(id_number=pid, name=nm, sex=sex, birth_date=born, ethnicity=eth, region_code=c.code,
                          household_id=hh_id, address=address)
                truth.writerow([pid, nm, sex, born.isoformat(), eth, c.code, village[0], hh_id, rel, spouse.get(pid, "")])
                age = (today - born).days // 365
                if age >= 18:
                    st.adults.append((pid, nm, county, born, sex))
                    st.alive.append(True)
                    if pid not in spouse:
                        st.single.append(len(st.adults) - 1)
                elif 6 <= age <= 17:
                    stage, grade = ("小学", age - 5) if age <= 11 else ("初中", age - 11) if age <= 14 else ("高中", age - 14)
                    student.row(id_number=pid, name=nm, sex=sex, birth_date=born,
                                school=f"{c.name}第{r.randint(1, 9)}{'小学' if stage == '小学' else '中学'}",
                                stage=stage, grade=f"{grade}年级", region_code=c.code)
            made += len(people)
            head = people[0]
            household.row(household_id=hh_id, head_id=head[0], head_name=head[1], village_code=village[0],
                          members=str(len(people)), address=address)
            if spouse:
                man, woman = (people[0], people[1]) if people[0][2] == "1" else (people[1], people[0])
                married = max(man[3], woman[3]) + dt.timedelta(days=r.randrange(22 * 365, 30 * 365))
                marriage.row(man_id=man[0], man_name=man[1], woman_id=woman[0], woman_name=woman[1], kind="结婚登记",
                             reg_date=min(married, today - dt.timedelta(days=1)),
                             office=f"{c.name}民政局婚姻登记处")
            if r.random() < 0.03:
                dibao.row(id_number=head[0], name=head[1], household_id=hh_id, members=str(len(people)),
                          amount=str(r.choice((850, 920, 1080, 1250)) * len(people)),
                          since=today - dt.timedelta(days=r.randrange(30, 2000)), region_code=c.code)
            if r.random() < 0.55:
                prop.row(cert_no=f"浙({today.year - r.randrange(0, 15)}){c.name}不动产权第{r.randrange(1, 10**7):07d}号",
                         owner_id=head[0], owner_name=head[1], area=f"{r.uniform(35, 220):.2f}",
                         use=r.choice(("住宅", "住宅", "住宅", "商业")),
                         registered=today - dt.timedelta(days=r.randrange(30, 9000)), region_code=c.code)
        truth_f.close()
        for w in (hukou, household, dibao, student, prop, marriage):
            w.close()

    def legal_entities(self) -> None:
        """Enterprises, individual businesses, co-operatives and social organisations with valid USCCs and
        legal representatives who exist in the population."""
        r, st = self.rng, self.state
        n = max(60, self.persons // 8)
        ent, ind = self.open(BY_CODE["shichang.enterprise"], 0), self.open(BY_CODE["shichang.individual_business"], 0)
        org, tax = self.open(BY_CODE["minzheng.social_org"], 0), self.open(BY_CODE["shuiwu.tax_credit"], 0)
        red, black = self.open(BY_CODE["xinyong.redlist"], 0), self.open(BY_CODE["xinyong.blacklist"], 0)
        for i in range(n):
            x = r.random()
            kind, auth, typ = (("enterprise", "9", "1") if x < 0.6 else ("individual", "9", "2") if x < 0.94
                               else ("coop", "9", "3") if x < 0.97 else ("social_org", "5", r.choice("123")))
            rep = r.randrange(len(st.adults))
            county = st.adults[rep][2] if r.random() < 0.8 else r.randrange(len(self.prov.counties))
            c = self.prov.counties[county]
            industry = r.choice(INDUSTRIES)
            code = self.new_uscc(auth, typ, county)
            stem = c.name.rstrip("区县市") or c.name
            name = {"enterprise": f"{stem}{r.choice(('恒达', '瑞丰', '新创', '华信', '宏远', '天成', '鑫源', '博远'))}"
                                  f"{industry[1][:2]}有限公司",
                    "individual": f"{stem}{st.adults[rep][1]}{industry[1][:2]}店",
                    "coop": f"{stem}{r.choice(('绿源', '丰收', '田园'))}农民专业合作社",
                    "social_org": f"{c.city_name}{r.choice(('慈善', '青年', '志愿者', '商会'))}协会"}[kind]
            est = self.start - dt.timedelta(days=r.randrange(30, 25 * 365))
            e = Entity(code, name, kind, county, rep, industry[0], est,
                       r.choice(("存续", "存续", "存续", "在业", "吊销", "注销")) if kind != "social_org" else "正常")
            st.entities.append(e)
            rep_id, rep_name = st.adults[rep][0], st.adults[rep][1]
            if kind in ("enterprise", "coop"):
                ent.row(uscc=code, entity_name=name, entity_type="有限责任公司" if kind == "enterprise" else "农民专业合作社",
                        rep_id=rep_id, rep_name=rep_name, industry=industry[0],
                        capital=str(r.choice((10, 50, 100, 200, 500, 1000, 5000))), established=est, status=e.status,
                        region_code=c.code)
            elif kind == "individual":
                ind.row(uscc=code, entity_name=name, operator_id=rep_id, operator_name=rep_name, industry=industry[0],
                        established=est, status=e.status, region_code=c.code)
            else:
                org.row(uscc=code, entity_name=name, org_type={"1": "社会团体", "2": "民办非企业单位", "3": "基金会"}[typ],
                        rep_id=rep_id, rep_name=rep_name, reg_date=est, region_code=c.code)
            if kind in ("enterprise", "coop", "individual") and e.status in ("存续", "在业"):
                tax.row(uscc=code, entity_name=name, year=str(self.start.year - 1),
                        grade=r.choices("ABMCD", weights=(20, 45, 20, 10, 5))[0])
                if r.random() < 0.02:
                    red.row(uscc=code, entity_name=name, list_type="A级纳税人", listed=self.start - dt.timedelta(days=r.randrange(1, 300)),
                            authority="省税务局")
                if r.random() < 0.01:
                    black.row(uscc=code, entity_name=name, list_type=r.choice(("重大税收违法失信主体", "严重违法失信企业")),
                              listed=self.start - dt.timedelta(days=r.randrange(1, 600)), authority="省市场监督管理局")
        for w in (ent, ind, org, tax, red, black):
            w.close()

    def employment(self) -> None:
        """Social insurance and housing fund for employed adults, employers drawn from the entities."""
        r, st = self.rng, self.state
        employers = [e for e in st.entities if e.kind in ("enterprise", "social_org") and e.status in ("存续", "在业", "正常")]
        si, hf = self.open(BY_CODE["renshe.social_insurance"], 0), self.open(BY_CODE["zhujian.housing_fund"], 0)
        for pid, nm, county, born, sex in st.adults:
            age = (self.start - born).days // 365
            if age >= 60 or r.random() > 0.62 or not employers:
                continue
            emp = r.choice(employers)
            since = max(born + dt.timedelta(days=18 * 365), emp.established) + dt.timedelta(days=r.randrange(0, 900))
            since = min(since, self.start - dt.timedelta(days=1))
            for ins in ("企业职工基本养老保险", "职工基本医疗保险"):
                si.row(id_number=pid, name=nm, insurance=ins, employer_uscc=emp.code, since=since, status="正常参保")
            if r.random() < 0.55:
                hf.row(id_number=pid, name=nm, account=f"{r.randrange(10**11, 10**12)}", employer_uscc=emp.code,
                       monthly=str(r.randrange(200, 4000)), opened=since)
        si.close()
        hf.close()

    def service_items(self) -> list[dict]:
        r = self.rng
        items, w = [], self.open(BY_CODE["zwfw.service_item"], 0)
        for i, (nm, dept) in enumerate(ITEMS):
            for level in ("省级", "市级", "县级"):
                legal = r.choice((5, 10, 15, 20, 30, 60))
                it = {"item_code": f"{self.prov.code}{('省级', '市级', '县级').index(level) + 1}{i:04d}", "item_name": nm,
                      "item_type": r.choice(("行政许可", "公共服务", "行政确认", "其他行政权力")), "department": dept,
                      "level": level, "legal_days": legal, "promised_days": max(1, int(legal * r.choice((0.3, 0.5, 0.5, 0.8)))),
                      "online": "是" if r.random() < (0.95 if level == "省级" else 0.8) else "否",
                      "max_trips": r.choice((0, 0, 1, 1, 2)),
                      "target": "法人" if "企业" in nm or "许可" in nm or "个体" in nm else "自然人"}
                items.append(it)
                w.row(**{k: str(v) for k, v in it.items()})
        w.close()
        return items

    def daily(self, d: int, items: list[dict]) -> None:
        """One day's increments from every department."""
        r, st, day = self.rng, self.state, self.day(d)
        n = lambda rate, base: max(1, round(base * rate))  # noqa: E731 — every resource delivers every day

        def pick_adult() -> int:
            while True:
                i = r.randrange(len(st.adults))
                if st.alive[i]:
                    return i

        births, deaths = self.open(BY_CODE["weijian.birth"], d), self.open(BY_CODE["weijian.death"], d)
        with (self.truth / "persons.csv").open("a", encoding="utf-8", newline="") as tf:
            truth = csv.writer(tf)
            for _ in range(n(0.000022, self.persons)):
                mother = pick_adult()
                m = st.adults[mother]
                if m[4] != "2":
                    continue
                sex = r.choice("12")
                cid = self.new_id(m[2], day, sex)
                nm = self.name()
                births.row(cert_no=f"Q{self.prov.code}{day:%y}{r.randrange(10**7):07d}", child_name=nm, sex=sex,
                           birth_date=day, mother_id=m[0], father_id=st.adults[pick_adult()][0],
                           hospital_region=self.prov.counties[m[2]].code)
                truth.writerow([cid, nm, sex, day.isoformat(), "01", self.prov.counties[m[2]].code, "", "", "新生儿", ""])
        for _ in range(n(0.000025, self.persons)):
            i = pick_adult()
            st.alive[i] = False
            p = st.adults[i]
            deaths.row(id_number=p[0], name=p[1], death_date=day, cause=r.choice(("疾病", "疾病", "疾病", "意外", "其他")),
                       region_code=self.prov.counties[p[2]].code)
        births.close()
        deaths.close()

        mar = self.open(BY_CODE["minzheng.marriage"], d)
        for _ in range(n(0.00002, self.persons)):
            if len(st.single) < 2:
                break
            a, b = st.single.pop(r.randrange(len(st.single))), st.single.pop(r.randrange(len(st.single)))
            pa, pb = st.adults[a], st.adults[b]
            man, woman = (pa, pb) if pa[4] == "1" else (pb, pa)
            mar.row(man_id=man[0], man_name=man[1], woman_id=woman[0], woman_name=woman[1],
                    kind="结婚登记", reg_date=day,
                    office=f"{self.prov.counties[pa[2]].name}民政局婚姻登记处")
        mar.close()

        emp = self.open(BY_CODE["renshe.employment"], d)
        employers = [e for e in st.entities if e.kind == "enterprise"] or st.entities
        for _ in range(n(0.0003, self.persons)):
            p = st.adults[pick_adult()]
            emp.row(id_number=p[0], name=p[1], employer_uscc=r.choice(employers).code,
                    kind=r.choice(("就业登记", "就业登记", "失业登记")), reg_date=day)
        emp.close()

        ents = st.entities
        sc, pen = self.open(BY_CODE["shichang.status_change"], d), self.open(BY_CODE["shichang.penalty"], d)
        ab, arr = self.open(BY_CODE["shichang.abnormal"], d), self.open(BY_CODE["shuiwu.arrears"], d)
        dis, lic = self.open(BY_CODE["fayuan.dishonest"], d), self.open(BY_CODE["xinyong.licensing"], d)
        for _ in range(n(0.0005, len(ents))):
            e = r.choice(ents)
            new = r.choice(("注销", "吊销", "存续"))
            sc.row(uscc=e.code, entity_name=e.name, change={"存续": "住所变更"}.get(new, f"{new}登记"),
                   new_status=new, change_date=day)
            e.status = new
        for _ in range(n(0.0004, len(ents))):
            e = r.choice(ents)
            pen.row(uscc=e.code, entity_name=e.name, decision_no=f"浙市监罚〔{day.year}〕{r.randrange(1, 9999)}号",
                    reason=r.choice(("虚假宣传", "未按规定公示年报", "销售不合格产品", "无照经营")),
                    amount=str(r.choice((2000, 5000, 10000, 50000, 200000))), decided=day)
        for _ in range(n(0.0003, len(ents))):
            e = r.choice(ents)
            ab.row(uscc=e.code, entity_name=e.name, reason=r.choice(("未按规定报送年度报告", "通过登记的住所无法联系")),
                   listed=day, authority=f"{self.prov.counties[e.county].name}市场监督管理局")
        for _ in range(n(0.0002, len(ents))):
            e = r.choice(ents)
            arr.row(uscc=e.code, entity_name=e.name, tax=r.choice(("增值税", "企业所得税", "房产税")),
                    amount=str(r.randrange(10000, 5000000)), announced=day)
        for _ in range(n(0.0002, len(ents))):
            if r.random() < 0.5:
                e = r.choice(ents)
                party = (e.code, e.name, "法人")
            else:
                p = st.adults[pick_adult()]
                party = (p[0], p[1], "自然人")
            dis.row(party_id=party[0], party_name=party[1], party_type=party[2],
                    case_no=f"（{day.year}）浙{r.randrange(100, 999)}执{r.randrange(1, 9999)}号",
                    court=f"{self.prov.counties[r.randrange(len(self.prov.counties))].name}人民法院", published=day)
        for _ in range(n(0.001, len(ents))):
            e = r.choice(ents)
            lic.row(uscc=e.code, entity_name=e.name, licence_no=f"JY{self.prov.code}{r.randrange(10**10):010d}",
                    licence=r.choice(("食品经营许可", "道路运输经营许可", "建筑施工许可")), decided=day,
                    valid_to=day + dt.timedelta(days=5 * 365), authority=f"{self.prov.counties[e.county].name}行政审批局")
        for w in (sc, pen, ab, arr, dis, lic):
            w.close()

        case, rating, elic = (self.open(BY_CODE["zwfw.case"], d), self.open(BY_CODE["zwfw.rating"], d),
                              self.open(BY_CODE["dashuju.e_licence"], d))
        for k in range(n(0.004, self.persons)):
            it = r.choice(items)
            if it["target"] == "法人":
                e = r.choice(ents)
                app = (e.code, e.name, "法人", e.county)
            else:
                p = st.adults[pick_adult()]
                app = (p[0], p[1], "自然人", p[2])
            channel = r.choice(CHANNELS) if it["online"] == "是" else "窗口办理"
            received = dt.datetime.combine(day, dt.time(8, 30)) + dt.timedelta(minutes=r.randrange(0, 540))
            took = r.randint(0, it["promised_days"]) if r.random() < 0.9 else r.randint(it["promised_days"], it["legal_days"] + 5)
            finished = received + dt.timedelta(days=took, minutes=r.randrange(10, 300))
            result = r.choices(("办结", "不予受理", "退回"), weights=(92, 3, 5))[0]
            trips = 0 if channel in ("网上办理", "移动端") else r.choice((1, 1, 1, 2, 3))
            no = f"{it['item_code']}{day:%Y%m%d}{k:06d}"
            case.row(case_no=no, item_code=it["item_code"], applicant_type=app[2], applicant_id=app[0],
                     applicant_name=app[1], channel=channel, received_at=f"{received:%Y-%m-%d %H:%M:%S}",
                     finished_at=f"{finished:%Y-%m-%d %H:%M:%S}", trips=str(trips), materials=str(r.randint(1, 8)),
                     result=result, region_code=self.prov.counties[app[3]].code)
            if r.random() < 0.6:
                score = r.choices(RATINGS, weights=(60, 25, 9, 4, 2))[0]
                rating.row(case_no=no, score=score[0], channel=r.choice(("短信", "政务App", "评价器", "网站")),
                           rated=finished.date(), comment=score[1])
            if result == "办结" and r.random() < 0.3:
                elic.row(licence_no=f"ZZ{no}", licence_type=it["item_name"] + "证明", holder_id=app[0],
                         holder_name=app[1], issued=finished.date(), issuer=f"{self.prov.counties[app[3]].name}{it['department']}部门",
                         case_no=no)
        for w in (case, rating, elic):
            w.close()

    def _write_entities(self) -> None:
        with (self.truth / "entities.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["uscc", "org_code", "name", "kind", "region_code", "rep_id", "industry", "established", "status"])
            for e in self.state.entities:
                w.writerow([e.code, uscc.org_code(e.code), e.name, e.kind, self.prov.counties[e.county].code,
                            self.state.adults[e.rep][0], e.industry, e.established.isoformat(), e.status])


class Delivery:
    """One resource's delivery for one day: applies the mess while writing and keeps the counts."""

    def __init__(self, gen: Generator, spec: ResourceSpec, d: int):
        self.gen, self.spec, self.d = gen, spec, d
        self.delivery_id = f"{gen.day(d):%Y%m%d}-001"
        self.folder = gen.out / spec.department / spec.name / self.delivery_id
        self.w = DeliveryWriter(self.folder, spec.name, spec.fmt, spec.encoding, spec.header_row())
        s = gen.summary.setdefault(spec.code, {})
        s.setdefault("deliveries", [])
        s.setdefault("defects", {})
        self.quarantine_expected = 0
        self.duplicates = 0
        self.clean = 0

    def row(self, **values) -> None:
        g, spec = self.gen, self.spec
        out, bad = [], False
        rownum = self.w.rows + 1
        for col in spec.columns:
            v = values.get(col.key)
            where = (spec.code, self.delivery_id, rownum, col.zh)
            kind_ = col.kind
            if kind_ == "party":
                kind_ = "id" if ids.is_valid(v) else "uscc"
            if kind_ == "id" and v:
                v, kind = g.mess.citizen_id(v, where, born_1900s=v[6:8] == "19")
                bad |= kind in ("bad_check_char", "missing_id")
            elif kind_ == "uscc" and v:
                v = g.mess.uscc(v, where)
            elif col.kind == "sex" and v:
                v = g.mess.sex(v, where)
            elif col.kind == "date":
                v = g.mess.date(v, spec.date_style, where) if isinstance(v, dt.date) else (v or "")
            out.append(v)
        self.w.write(out)
        self.quarantine_expected += bad
        self.clean += not bad
        if g.mess.rng.random() < g.rates["duplicate_row"]:
            self.w.write(list(out))
            self.duplicates += 1
            g._log_defect(spec.code, self.delivery_id, rownum + 1, "*", "duplicate_row", "")

    def close(self) -> None:
        g = self.gen
        delivered = g.when[self.d]
        manifest = {"department": self.spec.department, "department_zh": DEPARTMENTS[self.spec.department],
                    "resource": self.spec.code, "resource_zh": self.spec.name_zh, "delivery_id": self.delivery_id,
                    "mode": self.spec.mode, "data_date": g.day(self.d).isoformat(),
                    "delivered_at": delivered.isoformat(), "header_style": self.spec.headers}
        manifest = self.w.close(manifest)
        s = g.summary[self.spec.code]
        s["deliveries"].append({"delivery_id": self.delivery_id, "rows": self.w.rows, "clean_rows": self.clean,
                                "expected_quarantined_rows": self.quarantine_expected,
                                "duplicate_rows": self.duplicates, "delivered_at": manifest["delivered_at"]})
        if self.d and g.mess.rng.random() < g.rates["repeated_delivery"]:
            again = self.folder.with_name(f"{g.day(self.d):%Y%m%d}-002")
            shutil.rmtree(again, ignore_errors=True)
            shutil.copytree(self.folder, again)
            s.setdefault("repeated_deliveries", []).append(again.name)


def generate(out: str | Path, persons: int, seed: int, days: int = 3, truth: str | Path | None = None,
             cache: str | Path | None = None, start: dt.date = dt.date(2026, 11, 21),
             rates: dict[str, float] | None = None) -> dict:
    from govlake.config import resolve
    out = Path(out)
    truth = Path(truth) if truth else out.parent / "truth"
    if truth.resolve().is_relative_to(out.resolve()):
        raise ValueError("the ground truth must not be written inside the landing tree")
    gen = Generator(out, truth, cache or resolve().cache, persons, seed, days, start, rates)
    return gen.run()

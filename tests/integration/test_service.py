"""The gold build service (govlake/buildservice.py): `govlake gold build` runs in a long-lived,
warm Spark session when the service is up, one build after another."""
from __future__ import annotations

import datetime as dt
import re

from govlake import buildservice, lake
from tests.integration.conftest import ROOT, employment_delivery, sh

GOVLAKE = str(ROOT / ".govlake/venv/project/bin/govlake")


def _table(spark, settings, schema, table):
    return lake.read(spark, lake.path(settings, schema, table))


def test_builds_run_in_the_service_one_after_another(built, spark, settings):
    from govlake import catalogue
    from jobs import ingest
    sh("infra/spark/gold-service.sh", "start", timeout=300)
    try:
        up = sh(GOVLAKE, "gold", "ping")
        pid = re.search(r"pid (\d+)", up.stdout)[1]
        who = _table(spark, settings, "gold", "dim_person") \
            .where("death_date IS NULL AND employer_uscc IS NULL").orderBy("person_id").first()
        employer = _table(spark, settings, "gold", "dim_legal_entity").where("entity_kind = '企业'") \
            .orderBy("entity_id").first().entity_id
        day = dt.date.fromisoformat(str(_table(spark, settings, "ops", "batch_ledger").agg({"data_date": "max"}).first()[0]))
        employment_delivery(settings, day, "903", who.person_id, who.name, employer)
        cat = catalogue.load()
        ingest.run_in(spark, settings, cat, [cat.resource("renshe.employment")])

        first = sh(GOVLAKE, "gold", "build", timeout=900)
        assert f"由常驻构建服务执行（pid {pid}，第 1 次构建）" in first.stdout, first.stdout
        assert "基础库构建（增量）" in first.stdout and "基础库与画像构建完成" in first.stdout, first.stdout
        assert _table(spark, settings, "gold", "dim_person").where(f"person_id = '{who.person_id}'").first() \
            .employer_uscc == employer
        assert _table(spark, settings, "portrait", "person_tags").where(f"person_id = '{who.person_id}'") \
            .first().employer_id == employer
        second = sh(GOVLAKE, "gold", "build", timeout=300)
        assert f"由常驻构建服务执行（pid {pid}，第 2 次构建）" in second.stdout, second.stdout
        assert "没有新的批次" in second.stdout, second.stdout
        # Other settings than the service started with: refused, and the build would run in its own process.
        other = sh(GOVLAKE, "gold", "ping", check=False, env={"GOVLAKE_SPARK_SHUFFLE_PARTITIONS": "7"})
        assert other.returncode == buildservice.STALE and "已过期" in other.stdout, other
    finally:
        sh("infra/spark/gold-service.sh", "stop", check=False)
    assert not buildservice.socket_path(settings).exists()
    gone = sh(GOVLAKE, "gold", "ping", check=False)
    assert gone.returncode == buildservice.NOT_RUNNING and "未运行" in gone.stdout, gone

from pathlib import Path

import pytest

from govlake.config import ConfigError, resolve, shell_exports

CLUSTER = {
    "GOVLAKE_PROFILE": "cluster",
    "GOVLAKE_PROFILE_FILE": "/nonexistent",
    "GOVLAKE_SPARK_MASTER": "spark://master:7077",
    "GOVLAKE_LAKE": "s3a://bucket/lake",
    "GOVLAKE_TRINO_HOST": "trino.internal",
    "GOVLAKE_AIRFLOW_DB_URI": "postgresql+psycopg2://airflow@pg/airflow",
    "GOVLAKE_SUPERSET_DB_URI": "postgresql+psycopg2://superset@pg/superset",
}


def test_local_profile_keeps_everything_under_the_instance(tmp_path):
    s = resolve({"GOVLAKE_INSTANCE": str(tmp_path / "i"), "HOME": str(tmp_path)}, root=tmp_path)
    assert s.profile == "local" and s.spark_master == "local[2]" and s.trino_managed
    for p in (s.lake, s.landing, s.logs, s.trino_home, s.airflow_home, s.superset_home):
        assert Path(p).is_relative_to(tmp_path / "i")
    assert s.superset_db_uri.startswith("sqlite:///") and s.airflow_db_uri.startswith("sqlite:///")
    assert s.cache == str(tmp_path / ".cache" / "govlake")
    assert s.lake_is_local


def test_port_offset_moves_every_port(tmp_path):
    s = resolve({"GOVLAKE_PORT_OFFSET": "10000"}, root=tmp_path)
    assert (s.trino_port, s.superset_port, s.airflow_port) == (18080, 18088, 18081)


def test_cluster_profile_resolves_its_endpoints(tmp_path):
    s = resolve(CLUSTER, root=tmp_path)
    assert s.spark_master == "spark://master:7077"
    assert s.table_path("silver", "person") == "s3a://bucket/lake/silver/person"
    assert not s.lake_is_local and not s.trino_managed
    assert s.trino_url == "http://trino.internal:8080"
    assert s.airflow_executor == "CeleryExecutor"


@pytest.mark.parametrize("key", ["GOVLAKE_SPARK_MASTER", "GOVLAKE_LAKE", "GOVLAKE_TRINO_HOST",
                                 "GOVLAKE_AIRFLOW_DB_URI", "GOVLAKE_SUPERSET_DB_URI"])
def test_cluster_profile_names_each_missing_setting(tmp_path, key):
    env = {k: v for k, v in CLUSTER.items() if k != key}
    with pytest.raises(ConfigError, match=key):
        resolve(env, root=tmp_path)


@pytest.mark.parametrize("key,value", [("GOVLAKE_LAKE", "/data/lake"), ("GOVLAKE_SPARK_MASTER", "local[4]"),
                                       ("GOVLAKE_AIRFLOW_DB_URI", "sqlite:///a.db")])
def test_cluster_profile_rejects_embedded_values(tmp_path, key, value):
    with pytest.raises(ConfigError, match=key):
        resolve({**CLUSTER, key: value}, root=tmp_path)


def test_profile_file_is_read_and_environment_wins(tmp_path):
    f = tmp_path / "c.env"
    f.write_text("# comment\n" + "\n".join(f"{k}={v}" for k, v in CLUSTER.items() if k.startswith("GOVLAKE_")
                                             and k not in ("GOVLAKE_PROFILE", "GOVLAKE_PROFILE_FILE")))
    s = resolve({"GOVLAKE_PROFILE": "cluster", "GOVLAKE_PROFILE_FILE": str(f),
                 "GOVLAKE_TRINO_PORT": "8443"}, root=tmp_path)
    assert s.lake == "s3a://bucket/lake" and s.trino_port == 8443


def test_unknown_profile_and_bad_numbers_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="expected one of"):
        resolve({"GOVLAKE_PROFILE": "prod"}, root=tmp_path)
    with pytest.raises(ConfigError, match="not an integer"):
        resolve({"GOVLAKE_TRINO_PORT": "eighty"}, root=tmp_path)


def test_shipped_cluster_template_resolves():
    root = Path(__file__).resolve().parents[2]
    s = resolve({"GOVLAKE_PROFILE": "cluster"}, root=root)
    assert s.lake.startswith("s3a://") and s.spark_master.startswith("spark://")


def test_shell_exports_quote_values(tmp_path):
    out = shell_exports(resolve({"GOVLAKE_INSTANCE": str(tmp_path / "a b")}, root=tmp_path))
    assert f"export GOVLAKE_INSTANCE='{tmp_path / 'a b'}'" in out
    assert "export AIRFLOW_HOME=" in out


def test_values_exported_for_one_instance_do_not_leak_into_another(tmp_path):
    first = resolve({"GOVLAKE_INSTANCE": str(tmp_path / "local"), "HOME": str(tmp_path)}, root=tmp_path)
    inherited = {**first.env(), "HOME": str(tmp_path)}
    second = resolve({**inherited, "GOVLAKE_INSTANCE": str(tmp_path / "test"), "GOVLAKE_PORT_OFFSET": "10000"},
                     root=tmp_path)
    assert second.lake == str(tmp_path / "test" / "lake")
    assert second.airflow_db_uri == f"sqlite:///{tmp_path / 'test' / 'airflow' / 'airflow.db'}"
    assert (second.trino_port, second.superset_port) == (18080, 18088)
    # Re-resolving with the same inherited values changes nothing; a chosen value still wins.
    assert resolve(inherited, root=tmp_path) == first
    chosen = resolve({**inherited, "GOVLAKE_INSTANCE": str(tmp_path / "test"), "GOVLAKE_LAKE": "/data/lake"},
                     root=tmp_path)
    assert chosen.lake == "/data/lake"

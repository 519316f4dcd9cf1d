"""One resolver for every path, endpoint and setting of a GovLake installation.

Two profiles: ``local`` (the embedded default: local Spark, Delta files under the instance
directory, single-node Trino, SQLite metadata) and ``cluster`` (a Spark master, an object-store
lake root, PostgreSQL metadata for Airflow and Superset, an external Trino coordinator).
Values come, in rising precedence, from the profile's defaults, the profile file
(``infra/profiles/<profile>.env`` or ``GOVLAKE_PROFILE_FILE``) and the process environment.
Shell scripts read the same values through ``govlake config --shell``.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping

PROFILES = ("local", "cluster")
OBJECT_STORE_SCHEMES = ("s3a://", "s3://", "abfss://", "gs://", "hdfs://")
ROOT = Path(__file__).resolve().parents[1]


class ConfigError(ValueError):
    """A profile is missing a setting or has one in the wrong form."""


@dataclass(frozen=True)
class Settings:
    profile: str
    root: str
    instance: str
    cache: str
    venvs: str
    lake: str  # Spark-side lake root: a plain local path or an object-store URI
    landing: str
    logs: str
    run: str
    secrets_file: str
    spark_master: str
    spark_driver_memory: str
    spark_shuffle_partitions: int
    trino_host: str
    trino_port: int
    trino_user: str
    trino_catalog: str
    trino_home: str
    trino_heap: str
    trino_managed: bool  # do we start Trino ourselves (local) or use a coordinator (cluster)
    superset_port: int
    superset_home: str
    superset_db_uri: str
    airflow_port: int
    airflow_home: str
    airflow_db_uri: str
    airflow_executor: str
    airflow_parallelism: int
    port_offset: int = 0

    @property
    def lake_is_local(self) -> bool:
        return not self.lake.startswith(OBJECT_STORE_SCHEMES)

    def table_path(self, schema: str, table: str) -> str:
        return f"{self.lake.rstrip('/')}/{schema}/{table}"

    @property
    def trino_url(self) -> str:
        return f"http://{self.trino_host}:{self.trino_port}"

    def env(self) -> dict[str, str]:
        """The settings as GOVLAKE_* environment variables (plus AIRFLOW_HOME)."""
        out = {f"GOVLAKE_{k.upper()}": str(v) for k, v in asdict(self).items()}
        out["GOVLAKE_LAKE_IS_LOCAL"] = "1" if self.lake_is_local else "0"
        # Stamps what these values were derived from, so a later resolution for another instance or
        # port offset can tell inherited derived values from settings someone chose (see _drop_stale).
        out["GOVLAKE_RESOLVED_FOR"] = f"{self.instance}|{self.port_offset}"
        out["AIRFLOW_HOME"] = self.airflow_home
        return out


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ConfigError(f"{path}:{n}: expected KEY=value, got {line!r}")
        key, value = line.split("=", 1)
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip('"').strip("'")
    return values


def _drop_stale(env: dict[str, str], root: Path) -> dict[str, str]:
    """Exported settings reach child processes as plain variables. When a child resolves for another
    instance or port offset, the values derived for the old one (paths under the old instance, ports)
    must not win over the new derivation."""
    stamp = env.get("GOVLAKE_RESOLVED_FOR")
    if not stamp:
        return env
    old_instance, _, old_offset = stamp.partition("|")
    out = dict(env)
    if env.get("GOVLAKE_INSTANCE", str(root / ".govlake" / "local")) != old_instance:
        for key, value in env.items():
            if key.startswith("GOVLAKE_") and key != "GOVLAKE_INSTANCE" and old_instance in value:
                del out[key]
    if env.get("GOVLAKE_PORT_OFFSET", "0") != old_offset:
        for key in ("GOVLAKE_TRINO_PORT", "GOVLAKE_SUPERSET_PORT", "GOVLAKE_AIRFLOW_PORT"):
            out.pop(key, None)
    return out


def resolve(environ: Mapping[str, str] | None = None, root: Path = ROOT) -> Settings:
    env = _drop_stale(dict(os.environ if environ is None else environ), root)
    profile = env.get("GOVLAKE_PROFILE", "local")
    if profile not in PROFILES:
        raise ConfigError(f"GOVLAKE_PROFILE={profile!r}: expected one of {', '.join(PROFILES)}")
    pfile = Path(env.get("GOVLAKE_PROFILE_FILE", root / "infra" / "profiles" / f"{profile}.env"))
    merged = {**(_read_env_file(pfile) if pfile.is_file() else {}), **env}

    def get(key: str, default: str | None = None) -> str:
        value = merged.get(f"GOVLAKE_{key}", default)
        if value is None or value == "":
            raise ConfigError(
                f"profile {profile!r} needs GOVLAKE_{key} (set it in {pfile} or the environment)")
        return value

    def get_int(key: str, default: int) -> int:
        raw = get(key, str(default))
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"GOVLAKE_{key}={raw!r} is not an integer") from None

    instance = Path(get("INSTANCE", str(root / ".govlake" / "local")))
    offset = get_int("PORT_OFFSET", 0)
    local = profile == "local"

    lake = get("LAKE", str(instance / "lake") if local else None)
    if not local and not lake.startswith(OBJECT_STORE_SCHEMES):
        raise ConfigError(f"cluster profile: GOVLAKE_LAKE={lake!r} must be an object-store URI "
                          f"({', '.join(OBJECT_STORE_SCHEMES)})")
    spark_master = get("SPARK_MASTER", "local[2]" if local else None)
    if not local and spark_master.startswith("local"):
        raise ConfigError("cluster profile: GOVLAKE_SPARK_MASTER must name a cluster "
                          "(spark://host:7077, yarn or k8s://...), not local")

    superset_home = instance / "superset"
    airflow_home = instance / "airflow"
    superset_db = get("SUPERSET_DB_URI", f"sqlite:///{superset_home / 'superset.db'}" if local else None)
    airflow_db = get("AIRFLOW_DB_URI", f"sqlite:///{airflow_home / 'airflow.db'}" if local else None)
    if not local:
        for key, uri in (("SUPERSET_DB_URI", superset_db), ("AIRFLOW_DB_URI", airflow_db)):
            if not uri.startswith("postgresql"):
                raise ConfigError(f"cluster profile: GOVLAKE_{key} must be a PostgreSQL URI, got {uri!r}")

    return Settings(
        profile=profile,
        root=str(root),
        instance=str(instance),
        cache=get("CACHE", str(Path(env.get("HOME", "/root")) / ".cache" / "govlake")),
        venvs=str(root / ".govlake" / "venv"),
        lake=lake,
        landing=get("LANDING", str(instance / "landing")),
        logs=str(instance / "logs"),
        run=str(instance / "run"),
        secrets_file=str(instance / "secrets.env"),
        spark_master=spark_master,
        spark_driver_memory=get("SPARK_DRIVER_MEMORY", "3g"),
        spark_shuffle_partitions=get_int("SPARK_SHUFFLE_PARTITIONS", 4),
        trino_host=get("TRINO_HOST", "127.0.0.1" if local else None),
        trino_port=get_int("TRINO_PORT", 8080 + offset),
        trino_user=get("TRINO_USER", "govlake"),
        trino_catalog="lake",
        trino_home=str(instance / "trino"),
        trino_heap=get("TRINO_HEAP", "3G"),
        trino_managed=local,
        superset_port=get_int("SUPERSET_PORT", 8088 + offset),
        superset_home=str(superset_home),
        superset_db_uri=superset_db,
        airflow_port=get_int("AIRFLOW_PORT", 8081 + offset),
        airflow_home=str(airflow_home),
        airflow_db_uri=airflow_db,
        airflow_executor=get("AIRFLOW_EXECUTOR", "LocalExecutor" if local else "CeleryExecutor"),
        airflow_parallelism=get_int("AIRFLOW_PARALLELISM", 2 if local else 32),
        port_offset=offset,
    )


def shell_exports(settings: Settings) -> str:
    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in sorted(settings.env().items()))

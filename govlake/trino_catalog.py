"""Registers the Spark-written Delta tables in Trino's `lake` catalog.

Trino only reads these tables: Spark is the single writer, and it also writes the Chinese table and
column comments into the Delta log (govlake.lake.document), which Trino shows as its comments.
Registration is repeatable: schemas and tables already known are left alone.
"""
from __future__ import annotations

from pathlib import Path

from govlake.config import Settings

SCHEMAS = ("bronze", "silver", "gold", "portrait", "ops", "mart")


def connect(s: Settings):
    import trino
    return trino.dbapi.connect(host=s.trino_host, port=s.trino_port, user=s.trino_user, catalog="lake",
                               request_timeout=120)


def run(conn, sql: str) -> list:
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchall()


def location(s: Settings, schema: str, table: str | None = None) -> str:
    """The URI Trino knows a lake path by: local paths go through its `local://` file system."""
    rel = schema if table is None else f"{schema}/{table}"
    if s.lake_is_local:
        return f"local:///{rel}"
    return s.table_path(schema, table) if table else f"{s.lake.rstrip('/')}/{schema}"


def lake_tables(s: Settings) -> list[tuple[str, str]]:
    if not s.lake_is_local:
        raise NotImplementedError("listing an object-store lake is done by the catalogue in the cluster profile")
    out = []
    for schema in SCHEMAS:
        for d in sorted((Path(s.lake) / schema).glob("*/_delta_log")):
            out.append((schema, d.parent.name))
    return out


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def register_all(s: Settings) -> list[str]:
    from trino.exceptions import TrinoConnectionError
    conn = connect(s)
    try:
        known_schemas = {r[0] for r in run(conn, "SHOW SCHEMAS FROM lake")}
    except (OSError, TrinoConnectionError):  # refused, timed out: Trino is not up
        raise SystemExit(f"[govlake] 无法连接 Trino {s.trino_url}。请先启动 Trino（make up），"
                         f"日志见 {s.logs}/trino.log") from None
    for schema in SCHEMAS:
        if schema not in known_schemas:
            run(conn, f"CREATE SCHEMA IF NOT EXISTS lake.{schema} WITH (location = {_quote(location(s, schema))})")
    registered = []
    for schema, table in lake_tables(s):
        existing = {r[0] for r in run(conn, f"SHOW TABLES FROM lake.{schema}")}
        if table not in existing:
            run(conn, f"CALL lake.system.register_table(schema_name => {_quote(schema)}, "
                      f"table_name => {_quote(table)}, table_location => {_quote(location(s, schema, table))})")
            registered.append(f"{schema}.{table}")
    print(f"[govlake] Trino lake: {len(registered)} 张新表已注册 {registered}; 共 {len(lake_tables(s))} 张表")
    return registered

"""Checks the dashboards through Superset's REST API (stdlib only).

  api_check.py imported DASHBOARDS_DIR    every dashboard and chart of dashboards/ exists; saved
                                          query contexts are pointed at the imported datasets
  api_check.py chart-data DASHBOARDS_DIR  every chart returns rows (GET /api/v1/chart/<id>/data/)

Reads GOVLAKE_SUPERSET_PORT and the admin password from GOVLAKE_SECRETS_FILE. Exit 1 on failure.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import yaml

BASE = f"http://127.0.0.1:{os.environ['GOVLAKE_SUPERSET_PORT']}"


def _secret(key: str) -> str:
    for line in Path(os.environ["GOVLAKE_SECRETS_FILE"]).read_text().splitlines():
        if line.startswith(key + "="):
            return line.split("=", 1)[1]
    raise SystemExit(f"{key} not in the secrets file")


class Api:
    def __init__(self) -> None:
        body = {"username": "admin", "password": _secret("SUPERSET_ADMIN_PASSWORD"), "provider": "db", "refresh": False}
        self.token = self.call("POST", "/api/v1/security/login", body, auth=False)["access_token"]
        self.csrf = self.call("GET", "/api/v1/security/csrf_token/")["result"]

    def call(self, method: str, path: str, body: dict | None = None, auth: bool = True):
        req = urllib.request.Request(BASE + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", f"Bearer {self.token}")
            if getattr(self, "csrf", None):
                req.add_header("X-CSRFToken", self.csrf)
                req.add_header("Referer", BASE)
        try:
            with urllib.request.urlopen(req, timeout=180) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: HTTP {exc.code}: {exc.read()[:800].decode(errors='replace')}") from None

    def find(self, kind: str, uuid: str) -> dict | None:
        q = f"(filters:!((col:uuid,opr:eq,value:'{uuid}')))" if kind != "dashboard" else None
        if kind == "dashboard":
            rows = self.call("GET", "/api/v1/dashboard/?q=(page_size:100)")["result"]
            return next((r for r in rows if r.get("uuid") == uuid), None)
        rows = self.call("GET", f"/api/v1/{kind}/?q={urllib.request.quote(q)}")["result"]
        return rows[0] if rows else None


def expected(src: Path) -> tuple[list[dict], list[dict]]:
    load = lambda p: yaml.safe_load(p.read_text(encoding="utf-8"))  # noqa: E731
    return ([load(p) for p in sorted((src / "dashboards").glob("*.yaml"))],
            [load(p) for p in sorted((src / "charts").glob("*.yaml"))])


def imported_charts(api: Api, charts: list[dict]) -> tuple[int, list[tuple[dict, dict]]]:
    """(number missing, [(chart yaml, chart as listed by the API)]); prints the missing ones."""
    missing, present = 0, []
    for c in charts:
        found = api.find("chart", c["uuid"])
        if found:
            present.append((c, found))
        else:
            print(f"chart {c['slice_name']}: MISSING")
            missing += 1
    return missing, present


def check_imported(api: Api, src: Path) -> int:
    dashboards, charts = expected(src)
    bad = 0
    for d in dashboards:
        found = api.find("dashboard", d["uuid"])
        print(f"dashboard {d['dashboard_title']}: {'ok, id %s' % found['id'] if found else 'MISSING'}")
        bad += found is None
    missing, present = imported_charts(api, charts)
    bad += missing
    for c, found in present:
        chart = api.call("GET", f"/api/v1/chart/{found['id']}")["result"]
        ds_id = chart.get("datasource_id") or api.find("dataset", c["dataset_uuid"])["id"]
        qc = json.loads(chart.get("query_context") or c["query_context"])
        if qc["datasource"]["id"] != ds_id:
            qc["datasource"] = {"id": ds_id, "type": "table"}
            qc.setdefault("form_data", {})["datasource"] = f"{ds_id}__table"
            api.call("PUT", f"/api/v1/chart/{found['id']}", {"query_context": json.dumps(qc, ensure_ascii=False)})
        print(f"chart {c['slice_name']}: ok, id {found['id']}, dataset {ds_id}")
    return bad


def check_chart_data(api: Api, src: Path) -> int:
    _, charts = expected(src)
    bad, present = imported_charts(api, charts)
    for c, found in present:
        try:
            res = api.call("GET", f"/api/v1/chart/{found['id']}/data/?format=json&force=true")["result"]
            rows = sum(r.get("rowcount", 0) for r in res)
            errors = [r.get("error") for r in res if r.get("error")]
        except RuntimeError as exc:
            rows, errors = 0, [str(exc)]
        ok = rows > 0 and not errors
        bad += not ok
        print(f"chart {c['slice_name']}: {rows} rows{'' if ok else ' ERROR ' + '; '.join(errors)}")
        if ok and c["viz_type"] == "big_number_total":
            print(f"  value {res[0]['data'][0]}")
    return bad


if __name__ == "__main__":
    mode, src = sys.argv[1], Path(sys.argv[2])
    api = Api()
    failures = {"imported": check_imported, "chart-data": check_chart_data}[mode](api, src)
    sys.exit(1 if failures else 0)

"""Checks the dashboards through Superset's REST API (stdlib only).

  api_check.py imported DASHBOARDS_DIR    every dashboard and chart of dashboards/ exists; saved
                                          query contexts are pointed at the imported datasets, native
                                          filters at the imported charts; SQL Lab saved queries are
                                          created or updated (by label)
  api_check.py chart-data DASHBOARDS_DIR  every chart returns rows (GET /api/v1/chart/<id>/data/)
  api_check.py saved-queries DASHBOARDS_DIR  how many saved queries carry each label of specs/queries.yaml

The dashboards are rendered as the import renders them (bundle.py, with the lake in GOVLAKE_LAKE).
Reads GOVLAKE_SUPERSET_PORT and the admin password from GOVLAKE_SECRETS_FILE. Exit 1 on failure.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle  # noqa: E402  (beside this file: the same rendering as the import)

BASE = f"http://127.0.0.1:{os.environ['GOVLAKE_SUPERSET_PORT']}"


def _secret(key: str) -> str:
    for line in Path(os.environ["GOVLAKE_SECRETS_FILE"]).read_text().splitlines():
        if line.startswith(key + "="):
            return line.split("=", 1)[1]
    raise SystemExit(f"{key} not in the secrets file")


class Api:
    def __init__(self) -> None:
        # The CSRF token is tied to the session cookie: keep cookies between calls.
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
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
            with self.opener.open(req, timeout=180) as resp:
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
    """(dashboards, charts) as the import bundle has them."""
    lake = os.environ.get("GOVLAKE_LAKE", "")
    load = lambda p: yaml.safe_load(p.read_text(encoding="utf-8"))  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        bundle.render(src, out, "trino://unused", Path(lake) if lake.startswith("/") else None)
        return ([load(p) for p in sorted((out / "dashboards").glob("*.yaml"))],
                [load(p) for p in sorted((out / "charts").glob("*.yaml"))])


def fix_filter_scopes(api: Api, dashboard_id: int) -> None:
    """Native filters name the charts they apply to by ID; the import remaps the exclusions but not
    `chartsInScope`, so set it from the imported charts (all charts of the dashboard but the excluded)."""
    d = api.call("GET", f"/api/v1/dashboard/{dashboard_id}")["result"]
    meta = json.loads(d.get("json_metadata") or "{}")
    position = json.loads(d.get("position_json") or "{}")
    charts = sorted(v["meta"]["chartId"] for v in position.values() if isinstance(v, dict) and v.get("type") == "CHART")
    changed = False
    for f in meta.get("native_filter_configuration") or []:
        scope = [c for c in charts if c not in set(f.get("scope", {}).get("excluded") or [])]
        if f.get("chartsInScope") != scope:
            f["chartsInScope"], changed = scope, True
    if changed:
        api.call("PUT", f"/api/v1/dashboard/{dashboard_id}", {"json_metadata": json.dumps(meta, ensure_ascii=False)})


def sync_saved_queries(api: Api, src: Path) -> int:
    """SQL Lab saved queries from dashboards/specs/queries.yaml, on the lake database (by label)."""
    queries = bundle.load_queries(src)
    if not queries:
        return 0
    q = "(filters:!((col:uuid,opr:eq,value:'%s')))" % bundle.DATABASE_UUID
    dbs = api.call("GET", f"/api/v1/database/?q={urllib.request.quote(q)}")["result"]
    if not dbs:
        print("saved queries: the lake database is MISSING")
        return 1
    db_id = dbs[0]["id"]
    for sq in queries:
        body = {"label": sq["label"], "description": sq.get("description", ""), "sql": sq["sql"], "db_id": db_id,
                "catalog": "lake", "schema": sq.get("schema", "mart")}
        flt = "(filters:!((col:label,opr:eq,value:'%s')))" % sq["label"]
        found = api.call("GET", f"/api/v1/saved_query/?q={urllib.request.quote(flt)}")["result"]
        if found:
            api.call("PUT", f"/api/v1/saved_query/{found[0]['id']}", body)
        else:
            api.call("POST", "/api/v1/saved_query/", body)
        print(f"saved query {sq['label']}: ok")
    return 0


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
        if found:
            fix_filter_scopes(api, found["id"])
    missing, present = imported_charts(api, charts)
    bad += missing
    for c, found in present:
        chart = api.call("GET", f"/api/v1/chart/{found['id']}")["result"]
        ds_id = api.find("dataset", c["dataset_uuid"])["id"]
        # The chart as dashboards/ has it, pointed at the imported dataset; an existing chart that
        # differs (an edited spec) is updated: importing a dashboard does not overwrite its charts.
        params = dict(c["params"], datasource=f"{ds_id}__table")
        qc = json.loads(c["query_context"])
        qc["datasource"] = {"id": ds_id, "type": "table"}
        qc["form_data"] = dict(qc.get("form_data") or {}, datasource=f"{ds_id}__table")
        want = {"slice_name": c["slice_name"], "description": c.get("description"), "viz_type": c["viz_type"],
                "params": json.dumps(params, ensure_ascii=False, sort_keys=True),
                "query_context": json.dumps(qc, ensure_ascii=False, sort_keys=True)}
        have = {k: chart.get(k) for k in want}
        for k in ("params", "query_context"):
            try:
                have[k] = json.dumps(json.loads(have[k] or "null"), ensure_ascii=False, sort_keys=True)
            except ValueError:
                pass
        if have != want or chart.get("datasource_id") != ds_id:
            api.call("PUT", f"/api/v1/chart/{found['id']}", want | {"datasource_id": ds_id, "datasource_type": "table"})
            print(f"chart {c['slice_name']}: updated")
        print(f"chart {c['slice_name']}: ok, id {found['id']}, dataset {ds_id}")
    return bad + sync_saved_queries(api, src)


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


def list_saved_queries(api: Api, src: Path) -> int:
    missing = 0
    for sq in bundle.load_queries(src):
        flt = "(filters:!((col:label,opr:eq,value:'%s')))" % sq["label"]
        n = api.call("GET", f"/api/v1/saved_query/?q={urllib.request.quote(flt)}")["count"]
        print(f"saved query {sq['label']}: {n}")
        missing += n == 0
    return missing


if __name__ == "__main__":
    mode, src = sys.argv[1], Path(sys.argv[2])
    api = Api()
    failures = {"imported": check_imported, "chart-data": check_chart_data,
                "saved-queries": list_saved_queries}[mode](api, src)
    sys.exit(1 if failures else 0)

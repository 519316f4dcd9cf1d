"""Superset configuration for GovLake: everything from the resolved settings and the per-installation
secrets file (SUPERSET_CONFIG_PATH points here; see superset.sh)."""
import os
from pathlib import Path


def _secret(key: str) -> str:
    path = Path(os.environ["GOVLAKE_SECRETS_FILE"])
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}="):
            return line.split("=", 1)[1]
    raise RuntimeError(f"{key} missing from {path}: run `infra/superset/superset.sh init`")


SECRET_KEY = _secret("SUPERSET_SECRET_KEY")
SQLALCHEMY_DATABASE_URI = os.environ["GOVLAKE_SUPERSET_DB_URI"]
DATA_DIR = os.environ["GOVLAKE_SUPERSET_HOME"]

BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}

FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_CROSS_FILTERS": True,
    "ENABLE_TEMPLATE_PROCESSING": True,
}
# No Redis in the embedded default: in-process caches.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
DATA_CACHE_CONFIG = CACHE_CONFIG
FILTER_STATE_CACHE_CONFIG = CACHE_CONFIG
EXPLORE_FORM_DATA_CACHE_CONFIG = CACHE_CONFIG
RATELIMIT_STORAGE_URI = "memory://"
# API clients (tests, import checks) use JWT from /api/v1/security/login; browsers keep CSRF.
WTF_CSRF_EXEMPT_LIST = ["superset.views.core.log", "superset.charts.data.api.data"]
SQLLAB_CTAS_NO_LIMIT = True
SUPERSET_WEBSERVER_TIMEOUT = 120
THUMBNAIL_SELENIUM_USER = "admin"

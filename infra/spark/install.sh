#!/usr/bin/env bash
# Fetches the Delta Lake jars for our PySpark into the download cache, once.
# Jars whose artefact PySpark already ships are dropped: two versions of one library on the
# classpath (jackson, hadoop, parquet, log4j) break Spark in ways that are hard to trace.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
: "${GOVLAKE_CACHE:?run through govlake config}" "${GOVLAKE_VENVS:?}"
dest="$GOVLAKE_CACHE/jars/delta-spark_4.1_2.13-4.4.0"
[ -f "$dest/.complete" ] && exit 0
pyspark_jars=$("$GOVLAKE_VENVS/project/bin/python" -c 'import pyspark, os; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')
tmp=$(mktemp -d)
log "fetching Delta Lake jars from Maven Central into $dest"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
  || die "Maven could not resolve the Delta Lake jars (see the output above)"
mkdir -p "$dest"
for jar in "$tmp"/*.jar; do
  base=$(basename "$jar" .jar); artifact=${base%-*}
  if compgen -G "$pyspark_jars/${artifact}-[0-9]*" >/dev/null; then continue; fi
  cp "$jar" "$dest/"
done
rm -rf "$tmp"
touch "$dest/.complete"
log "Delta Lake jars: $(ls "$dest" | wc -l) files in $dest"

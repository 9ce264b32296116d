#!/usr/bin/env bash
# Build and run Kontor with its embedded SQLite database and the web app.
# Baut und startet Kontor mit eingebetteter SQLite-Datenbank und der Web-App.
#
#   ./run.sh                      serve on 127.0.0.1:8080, data in ./kontor-data
#   ./run.sh --listen 0.0.0.0:80  any flag of `kontor serve`
set -euo pipefail
cd "$(dirname "$0")"
. scripts/lib.sh
ensure_rust
build_web
say "building kontor (release)"
cargo build --release --locked -p kontor --bin kontor
exec ./target/release/kontor serve --web-dir web/dist "$@"

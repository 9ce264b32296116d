#!/usr/bin/env bash
# Run everything CI runs: formatting, lints, docs, architecture checks, and every test on
# SQLite and on PostgreSQL. Installs what it needs; safe to run again.
# Führt alles aus, was die CI prüft.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/lib.sh
ensure_rust
ensure_wasm_target
ensure_nextest
ensure_postgres
ensure_nats
ensure_chromium

say "format"
cargo fmt --all -- --check
(cd fuzz && cargo fmt -- --check)

say "lints (clippy -D warnings)"
cargo clippy --locked --workspace --all-targets -- -D warnings

say "docs without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps --quiet

say "architecture: kontor-proto has no IO"
if cargo tree --locked -p kontor-proto -e normal --prefix none | grep -Eq '^(tokio|sqlx|axum|reqwest) '; then
  echo "kontor-proto must not depend on a runtime or IO crate" >&2
  exit 1
fi

say "architecture: the client core is sans-IO and builds for wasm32 (the browser runs the same MLS code)"
if cargo tree --locked -p kontor-client -e normal --prefix none | grep -Eq '^(tokio|sqlx|axum|reqwest|rusqlite) '; then
  echo "kontor-client must not depend on a runtime or IO crate (the SQLite store is behind the sqlite feature)" >&2
  exit 1
fi
# Both build for wasm32 below, as what the web app's core (kontor-web) is made of: one
# wasm build of them instead of three.

say "architecture: the server library does not depend on the CLI (the kontor binary joins them)"
if cargo tree --locked -p kontor-server --prefix none | grep -q '^kontor-cli '; then
  echo "kontor-server must not depend on kontor-cli: the binary crate crates/kontor joins them" >&2
  exit 1
fi

say "architecture: client core files stay small, API handlers do not import each other"
too_long="$(find crates/kontor-client/src -name '*.rs' -exec wc -l {} + | awk '$2 != "total" && $1 > 800')"
if [ -n "$too_long" ]; then
  echo "$too_long" >&2
  echo "a file of kontor-client/src is over 800 lines: split it along its seams" >&2
  exit 1
fi
if grep -nE '(super|crate::api)::(audit|auth|conversations|directory|events|health|identity|invitations|key_packages|orgs|people|setup|teams)\b' \
  crates/kontor-server/src/api/*.rs | grep -v '^crates/kontor-server/src/api/mod.rs:'; then
  echo "a module under api/ imports another: shared code belongs in extract, access or actions" >&2
  exit 1
fi

say "architecture: the web app's TypeScript types are generated from kontor-proto (ts-rs) and up to date"
gen="$(mktemp -d)"
scripts/gen-types.sh "$gen" >/dev/null
if ! diff -r "$gen" web/src/gen >/dev/null; then
  diff -r "$gen" web/src/gen | head -20 >&2
  echo "web/src/gen is out of date: run scripts/gen-types.sh" >&2
  exit 1
fi
rm -rf "$gen"

say "tests on SQLite (and the store conformance suite on both backends)"
cargo nextest run --locked --workspace --no-fail-fast

say "tests on PostgreSQL"
KONTOR_TEST_DATABASE=postgres cargo nextest run --locked --workspace --no-fail-fast \
  -E 'package(kontor) and kind(test) and not test(/^(store_conformance|cli_as_a_person_types_it|cli_chat_as_a_person_types_it|durability_and_canary)::/)'

FUZZ_SECONDS=4
say "fuzzing: every decoder of remote input, $FUZZ_SECONDS s each"
scripts/fuzz.sh "$FUZZ_SECONDS"

say "web app: wasm core (kontor-web with kontor-client and kontor-proto for wasm32), type check, build"
build_web

say "browser tests (Debian's Chromium driven by playwright-core, the real kontor binary)"
cargo build --locked -p kontor --bin kontor --quiet
(cd web && KONTOR_BIN="$PWD/../target/debug/kontor" npm test)

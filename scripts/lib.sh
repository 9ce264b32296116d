# Shared by run.sh and test.sh: install what Kontor needs, idempotently.
# Sourced, not executed.

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Versions that the scripts pin.
NEXTEST_VERSION=0.9.143

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "Rust (cargo) is needed: https://rustup.rs — then run this again." >&2
    exit 1
  fi
  if command -v rustup >/dev/null 2>&1; then
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  fi
}

ensure_wasm_target() {
  if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_nextest() {
  if ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest $NEXTEST_VERSION"
    cargo install --locked cargo-nextest --version "$NEXTEST_VERSION"
  fi
}

# cargo-fuzz for the fuzz targets in fuzz/ (scripts/fuzz.sh).
CARGO_FUZZ_VERSION=0.13.2

ensure_cargo_fuzz() {
  if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    say "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" \
      || cargo install --force cargo-fuzz --version "$CARGO_FUZZ_VERSION"
  fi
}

# PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres): start it if it is stopped.
ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then return 0; fi
  if [ -d /etc/postgresql ]; then
    say "starting PostgreSQL"
    for v in /etc/postgresql/*; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start || true
    done
    for _ in $(seq 60); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && return 0; sleep 0.5; done
  fi
  echo "PostgreSQL is needed on 127.0.0.1:5432 for the PostgreSQL test run and could not be started." >&2
  return 1
}

# NATS with JetStream on 127.0.0.1:4222 (used by the scale-out mode later): start it if stopped.
ensure_nats() {
  if (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then return 0; fi
  if [ -x /usr/sbin/nats-server ]; then
    say "starting NATS"
    mkdir -p /var/lib/nats-server
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server || true
  fi
}

# The wasm-bindgen command line must match the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=0.2.130
# Node.js that Vite 8 needs.
NODE_MIN=20.19

ensure_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" \
      || cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1; fi
}

ensure_node() {
  if ! command -v node >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    say "installing Node.js (Debian package)"
    as_root apt-get update -qq && as_root apt-get install -y -qq nodejs npm
  fi
  local v
  v="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
  if ! node -e "const [a,b]=process.versions.node.split('.').map(Number);const [x,y]='$NODE_MIN'.split('.').map(Number);process.exit(a>x||(a===x&&b>=y)?0:1)" 2>/dev/null; then
    echo "Node.js $NODE_MIN or newer is needed to build the web app (found: $v): https://nodejs.org" >&2
    exit 1
  fi
}

# The web app's npm packages, exactly as package-lock.json pins them.
ensure_web_packages() {
  ensure_node
  if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    say "installing the web app's npm packages"
    (cd web && npm ci --no-audit --no-fund)
  fi
}

# Debian's Chromium for the browser tests (no test tool downloads a browser of its own).
ensure_chromium() {
  if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; then return 0; fi
  say "installing Chromium (Debian package)"
  as_root apt-get update -qq && as_root apt-get install -y -qq chromium fonts-noto-color-emoji
}

# Builds the web app into web/dist: the client core for wasm32, its bindings, then Vite.
build_web() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_web_packages
  say "building the client core for the browser (wasm32)"
  cargo build --locked -p kontor-web --target wasm32-unknown-unknown --profile wasm
  wasm-bindgen --target web --remove-name-section --remove-producers-section \
    --out-dir web/src/wasm --out-name kontor target/wasm32-unknown-unknown/wasm/kontor_web.wasm
  say "building the web app"
  (cd web && npm run -s check && npm run -s build)
}

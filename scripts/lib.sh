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

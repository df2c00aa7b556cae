# Shared by scripts/run, scripts/test and scripts/bench: install what is missing, quickly skip
# what is there. Sourced, not run.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
CARGO_LEPTOS_VERSION="0.3.11"
# cargo-leptos 0.3.11 needs a newer rustc than the stable one this project builds with.
CARGO_LEPTOS_MIN_RUSTC="1.96"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
export PLUGBOARD_TEST_POSTGRES_URL="${PLUGBOARD_TEST_POSTGRES_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  say "installing $* (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

version_at_least() { # version_at_least 1.97.0 1.96
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_lint_tools() {
  local component
  for component in rustfmt clippy; do
    if ! rustup component list --installed | grep -q "^$component"; then
      say "adding the $component component"
      rustup component add "$component"
    fi
  done
}

# A toolchain recent enough to build cargo-leptos: an installed one if there is one, else beta.
toolchain_for_cargo_leptos() {
  local toolchain version
  for toolchain in $(rustup toolchain list | awk '{print $1}'); do
    version="$(rustup run "$toolchain" rustc --version 2>/dev/null | awk '{print $2}')" || continue
    if version_at_least "${version%%-*}" "$CARGO_LEPTOS_MIN_RUSTC"; then
      echo "$toolchain"
      return
    fi
  done
  say "installing the beta Rust toolchain to build cargo-leptos"
  rustup toolchain install beta --profile minimal >&2
  echo beta
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    return
  fi
  local toolchain
  toolchain="$(toolchain_for_cargo_leptos)"
  say "building cargo-leptos $CARGO_LEPTOS_VERSION with $toolchain (about 15 minutes, once)"
  cargo "+$toolchain" install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
}

ensure_wasm_bindgen() {
  local wanted
  wanted="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$REPO_ROOT/Cargo.lock")"
  if wasm-bindgen --version 2>/dev/null | grep -q " $wanted\$"; then
    return
  fi
  say "installing wasm-bindgen-cli $wanted (the version in Cargo.lock)"
  cargo install wasm-bindgen-cli --version "=$wanted"
}

ensure_nextest() {
  if cargo nextest --version >/dev/null 2>&1; then
    return
  fi
  say "installing cargo-nextest"
  cargo install --locked cargo-nextest || cargo "+$(toolchain_for_cargo_leptos)" install --locked cargo-nextest
}

# A nightly toolchain for cargo-fuzz (libFuzzer's instrumentation needs one): an installed one,
# else the newest.
nightly_toolchain() {
  local toolchain
  toolchain="$(rustup toolchain list | awk '{print $1}' | grep '^nightly' | head -n1 || true)"
  if [ -z "$toolchain" ]; then
    say "installing the nightly Rust toolchain for the fuzzers"
    rustup toolchain install nightly --profile minimal >&2
    toolchain=nightly
  fi
  echo "$toolchain"
}

ensure_cargo_fuzz() {
  if cargo fuzz --version >/dev/null 2>&1; then
    return
  fi
  say "installing cargo-fuzz"
  cargo install --locked cargo-fuzz
}

ensure_wasm_opt() {
  if command -v wasm-opt >/dev/null 2>&1; then
    return
  fi
  say "installing wasm-opt (binaryen, from npm)"
  as_root npm install -g --no-audit --no-fund binaryen@132 >/dev/null
}

ensure_chromium() {
  if [ -x "$CHROMIUM" ]; then
    return
  fi
  apt_install chromium
}

ensure_e2e_packages() {
  local stamp="$REPO_ROOT/end2end/node_modules/.plugboard-lock-sum" sum
  sum="$(sha256sum "$REPO_ROOT/end2end/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    return
  fi
  say "installing the end-to-end test packages (npm ci)"
  (cd "$REPO_ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
  echo "$sum" >"$stamp"
}

postgres_ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p 5432
  else
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
  fi
}

ensure_postgres() {
  if postgres_ready; then
    return
  fi
  local fresh=0
  if ! ls -d /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
    fresh=1
  fi
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n1)"
  say "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    postgres_ready && break
    sleep 1
  done
  postgres_ready || { say "PostgreSQL did not start"; exit 1; }
  if [ "$fresh" = 1 ]; then
    # A fresh Debian cluster wants a password over TCP: give postgres the one the tests use.
    as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
  fi
}

#!/usr/bin/env bash
# deps.sh — install every Debian package tamis needs to build, test and benchmark.
# Idempotent: packages already present are skipped, so re-running is cheap and safe.
# Run as root (or with sudo available). Exit status is non-zero if installation fails.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  liblmdb-dev lmdb-utils libzstd-dev zstd zlib1g-dev libxxhash-dev
  libjansson-dev libinih-dev libroaring-dev libcmocka-dev libssl-dev libmicrohttpd-dev
  libphonenumber-dev libicu-dev libprotobuf-dev libboost-dev libpq-dev postgresql
  tzdata time gzip
  nodejs chromium wrk curl python3 python3-yaml
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
else
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# npm packages (package.json at the repo root: the DuckDB reference of
# bench/reference, later the browser tests). npm itself is in Debian's `npm` package,
# but builds of nodejs from NodeSource bundle it (and conflict with that package), so
# it is installed only when the npm command is missing. `npm ci` runs when
# node_modules is missing or older than package-lock.json.
if ! command -v npm >/dev/null 2>&1; then
  echo "deps: installing npm"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends npm
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$ROOT/node_modules/.package-lock.json" ] ||
   [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
  echo "deps: npm ci in $ROOT"
  (cd "$ROOT" && npm ci --no-audit --no-fund)
else
  echo "deps: node_modules up to date"
fi

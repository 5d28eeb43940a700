#!/usr/bin/env bash
# deps.sh — install every Debian package tamis needs to build, test and benchmark.
# Idempotent: packages already present are skipped, so re-running is cheap and safe.
# Run as root (or with sudo available). Exit status is non-zero if installation fails.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  liblmdb-dev lmdb-utils libzstd-dev zstd zlib1g-dev libxxhash-dev
  libjansson-dev libinih-dev libcmocka-dev libssl-dev
  libphonenumber-dev libicu-dev libprotobuf-dev libboost-dev
  tzdata time gzip
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine: the npm packages, the real
# Prometheus (with promtool) and Alertmanager binaries the end-to-end tests start on loopback, and
# Chromium, which the browser tests drive headless (through playwright-core) to look at the UI and
# reports, and Debian's cargo (1.65, the legacy retry policy) that test/e2e/cargo-storm.test.ts runs
# against a loopback registry (rustup's cargo under ~/.cargo/bin is used too where present).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/cargo ] || missing+=(cargo)
command -v git >/dev/null 2>&1 || missing+=(git)
# The source-auth tests make their TLS certificates with openssl.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ((${#missing[@]} > 0)); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund

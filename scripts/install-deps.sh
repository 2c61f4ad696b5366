#!/usr/bin/env bash
# Installs what claimgate's tests need on a bare Debian 12 machine: the
# independent XML verifiers (xmlsec1, xmllint), oathtool, Chromium for the
# browser tests, OpenSSL, promtool (the alert rules), a C toolchain with
# libssl-dev and SoftHSM for the
# signers built with -tags openssl and -tags pkcs11 (internal/signer), and
# the Go modules. The Samba AD DC is installed by scripts/samba/setup.sh,
# PostgreSQL by scripts/postgres/setup.sh. Safe to run again: it installs
# only what is missing.
set -euo pipefail

pkgs=(xmlsec1 libxml2-utils oathtool chromium openssl ca-certificates systemd # systemd: systemd-analyze, for deploy/lint
  gcc libc6-dev pkg-config libssl-dev softhsm2 # cgo, libcrypto for -tags openssl, SoftHSM for the -tags pkcs11 tests
  python3-pysaml2) # an independent SAML 2.0 SP for cmd/claimgate/saml2_pysaml2_e2e_test.go
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # Keep package scripts from starting system services on every interface.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# promtool, for deploy/lint's alert rules: only that binary, taken from
# Debian's prometheus package, which would also install (and enable at
# boot) a Prometheus server listening on every interface.
if ! command -v promtool >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: need root to install promtool" >&2
    exit 1
  fi
  echo "install-deps: installing promtool (from Debian's prometheus package, the binary only)"
  tmp=$(mktemp -d)
  (cd "$tmp" && { apt-get download -q prometheus 2>/dev/null || { apt-get update -q && apt-get download -q prometheus; }; })
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
  install -m 0755 "$tmp/x/usr/bin/promtool" /usr/local/bin/promtool
  rm -rf "$tmp"
fi

if ! command -v go >/dev/null; then
  export PATH=$PATH:/usr/local/go/bin
fi
go mod download
(cd deploy/lint && go mod download)

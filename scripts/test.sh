#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, start a real
# Samba AD domain controller on loopback, run every Go test (unit,
# xmlsec1/xmllint verification, directory integration, Chromium end to end),
# and stop the directory again, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
export GOFLAGS=${GOFLAGS:--buildvcs=false}

scripts/install-deps.sh
scripts/samba/setup.sh
trap 'scripts/samba/stop.sh || true' EXIT
export CLAIMGATE_SAMBA_ENV=${CLAIMGATE_SAMBA_ENV:-/tmp/claimgate-samba/env}

echo "== go vet"
go vet ./...
echo "== go test"
# -p 1 keeps the browser and directory tests from competing for 2 cores.
go test -count=1 -p 1 -timeout 40m ./... 2>&1 | tee /tmp/claimgate-test.log

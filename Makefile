# claimgate: the two commands a newcomer needs are `go run ./cmd/claimgate demo`
# and `make test`.
.PHONY: test unit build bench fuzz

# Everything: installs Debian packages and Go modules, starts a real Samba AD
# DC on loopback, runs all tests, stops the directory.
test:
	bash scripts/test.sh

# Fast tests only: no directory, no browser.
unit:
	go test -short ./...

build:
	go build -o bin/claimgate ./cmd/claimgate

# Benchmarks; the directory ones need the Samba AD DC (started here). The
# last two print every ratio of issue 12's table (docs/performance.md); the
# load generator exits non-zero when a budget (RSS, start to ready) is broken.
bench:
	bash scripts/samba/setup.sh >/dev/null
	CLAIMGATE_SAMBA_ENV=$${CLAIMGATE_SAMBA_ENV:-/tmp/claimgate-samba/env} go test -run '^$$' -bench . -benchmem ./sts/ ./internal/app/ ./internal/mfa/ ./internal/store/sqlitestore/ ./ldapsource/
	go test -tags openssl,pkcs11 -run '^$$' -bench . -benchmem ./internal/signer/...
	go run ./internal/tools/benchratio
	CLAIMGATE_SAMBA_ENV=$${CLAIMGATE_SAMBA_ENV:-/tmp/claimgate-samba/env} go run ./internal/tools/loadgen

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

# Benchmarks; the directory ones need the Samba AD DC (started here).
bench:
	bash scripts/samba/setup.sh >/dev/null
	CLAIMGATE_SAMBA_ENV=$${CLAIMGATE_SAMBA_ENV:-/tmp/claimgate-samba/env} go test -run '^$$' -bench . -benchmem ./sts/ ./internal/app/ ./internal/mfa/ ./internal/store/sqlitestore/ ./ldapsource/
	go test -tags openssl,pkcs11 -run '^$$' -bench . -benchmem ./internal/signer/...
	go run ./internal/tools/benchratio

// Package lint checks the deployment files that cannot be run here: the
// top-level Dockerfile and .dockerignore (no Docker engine runs in CI, so no
// image is built), deploy/systemd/claimgate.service (no systemd runs as PID 1)
// and deploy/prometheus/alerts.yml. It is its own Go module, so that the
// BuildKit dependency used to lint the Dockerfile stays out of claimgate's
// go.mod; scripts/test.sh runs it after the main tests.
//
// The Dockerfile (dockerfile_test.go) is checked with:
//   - BuildKit's own Dockerfile front end (github.com/moby/buildkit
//     dockerfile2llb, what `docker build` runs): the file must convert for every
//     stage, and every rule of `docker build --check` must stay silent
//     (StageNameCasing, FromAsCasing, JSONArgsRecommended, SecretsUsedInArgOrEnv,
//     UndefinedVar, WorkdirRelativePath, LegacyKeyValueFormat, ...). A `check=`
//     directive that switches rules off is refused. Base images are resolved by
//     a stand-in, never pulled.
//   - claimgate's own rules, in the spirit of hadolint (its rule ids in
//     brackets): base images pinned by tag or digest, never untagged or
//     `latest` (DL3006, DL3007); at least two stages, the last on distroless or
//     scratch; the Go version equal to go.mod's; the binary built with
//     CGO_ENABLED=0 and -trimpath; no ADD at all (DL3020, and so no ADD of a
//     URL); every COPY into the final stage with an explicit --chown; no RUN in
//     the final stage (distroless has no shell); a numeric, non-root USER
//     (DL3002); EXPOSE; HEALTHCHECK either an exec-form CMD or NONE with a
//     comment saying why; ENTRYPOINT and CMD in exec form (DL3025), the
//     ENTRYPOINT being a file copied into the image.
//   - the .dockerignore allow-list: every Go and embedded file that `go build
//     ./cmd/claimgate` reads (from `go list -deps`), go.mod and go.sum are in
//     the build context; the git history, a built binary, keys, databases and
//     test files are not.
//   - the build itself, without Docker: CGO_ENABLED=0 go build -trimpath of
//     ./cmd/claimgate gives an ELF file with no interpreter and no shared
//     libraries (so it runs on distroless/static), and `claimgate version`
//     runs.
//
// The systemd unit (systemd_test.go) is checked with systemd-analyze:
// `verify` must accept it with no diagnostic at all, in a scratch root that
// holds the distribution's units and the static binary at the ExecStart path
// (/usr/local/bin/claimgate), and must complain about a copy with a misspelt
// key (so the check is seen to bite); the hardening options claimgate relies
// on must be present; `security --offline` must score it at most 2.0, and
// docs/operations.md must state the score it gets.
//
// The alert rules (alerts_test.go) are checked for shape (groups, alert,
// expr, for, severity, summary), each claimgate_* metric they use must be
// defined in internal/metrics, and Prometheus's promtool must accept them
// (`check rules`) and pass their unit tests (deploy/prometheus/alerts.test.yml,
// `test rules`).
package lint

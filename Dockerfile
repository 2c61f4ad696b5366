# claimgate container image: a static binary on distroless, running as non-root.
#
#   docker build -t claimgate:0.1.0 .
#   docker run --read-only -p 8443:8443 \
#     -v /etc/claimgate:/etc/claimgate:ro -v claimgate-data:/var/lib/claimgate claimgate:0.1.0
#
# docs/operations.md#the-container-image says how to run it (file owners, probes,
# PostgreSQL). deploy/lint checks this file (the BuildKit rules of
# `docker build --check` plus claimgate's own rules, listed there); images are
# not built in CI.
#
# GO_VERSION must equal the go line of go.mod (deploy/lint checks it). For a
# reproducible image, pin the bases by digest as well:
#   --build-arg GO_IMAGE=golang:1.26.8-bookworm@sha256:... \
#   --build-arg RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot@sha256:...
ARG GO_VERSION=1.26.8
ARG GO_IMAGE=golang:${GO_VERSION}-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

# The build stage runs on the builder's platform and cross-compiles for the
# target one (docker buildx build --platform linux/amd64,linux/arm64 .).
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
# CGO_ENABLED=0: a static binary with no C library (the SQLite driver,
# modernc.org/sqlite, and the PostgreSQL driver are pure Go), which is what
# distroless/static expects.
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags='-s -w' -o /out/claimgate ./cmd/claimgate \
 && mkdir -p /out/data

FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="claimgate" \
      org.opencontainers.image.description="Two-factor claims provider for Microsoft AD FS" \
      org.opencontainers.image.source="https://github.com/claimgate/claimgate" \
      org.opencontainers.image.licenses="NOASSERTION"
# The binary belongs to root, so the service user cannot replace it.
COPY --from=build --chown=0:0 --chmod=0755 /out/claimgate /usr/local/bin/claimgate
# data_dir (the default /var/lib/claimgate), owned by the service user.
COPY --from=build --chown=65532:65532 --chmod=0700 /out/data /var/lib/claimgate
# 65532 is distroless's "nonroot" user. Numeric, so that Kubernetes'
# runAsNonRoot can check it. Files in /etc/claimgate that hold keys must be
# owned by this uid with mode 0600 (claimgate refuses group-readable keys).
USER 65532:65532
WORKDIR /var/lib/claimgate
VOLUME ["/var/lib/claimgate"]
# server.listen defaults to :8443, so no privilege is needed to bind.
EXPOSE 8443
# No HEALTHCHECK command: distroless has no shell and no curl, and claimgate has
# no probe subcommand. Let the orchestrator or load balancer ask over HTTP:
# GET /healthz (liveness) and GET /readyz (readiness), see docs/operations.md.
HEALTHCHECK NONE
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/claimgate"]
CMD ["serve", "--config", "/etc/claimgate/claimgate.yaml"]

#!/usr/bin/env bash
# Installs the Temporal CLI when it is missing: `temporal` on PATH, else Go's bin folder, else
# `go install` of the pinned v1.5 release (later releases carry a `replace` directive that
# `go install` refuses). Without Go, the tests and `npm start` fall back to the SDK's download.
set -euo pipefail
MODULE="github.com/temporalio/cli/cmd/temporal@v1.5.1"
if command -v temporal >/dev/null 2>&1; then echo "temporal: $(command -v temporal)"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then echo "temporal: no Go toolchain; the SDK will download the dev server"; exit 0; fi
bin="$(go env GOBIN)"; [ -n "$bin" ] || bin="$(go env GOPATH | cut -d: -f1)/bin"
if [ -x "$bin/temporal" ]; then echo "temporal: $bin/temporal"; exit 0; fi
echo "temporal: go install $MODULE (first run only: about 10 minutes on 2 cores from a cold cache)"
# go install is silent while it compiles: say every 30 s that it is still going.
( while sleep 30; do echo "temporal: still building… ${SECONDS}s"; done ) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT
go install "$MODULE"
echo "temporal: $bin/temporal"

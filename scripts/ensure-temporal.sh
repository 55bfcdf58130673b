#!/usr/bin/env bash
# Prints the path of a usable `temporal` CLI, installing it into .tools/bin if needed.
# Order: $TEMPORAL_CLI, `temporal` on PATH, .tools/bin/temporal, `go install` (v1.5.1 is the last tag
# that `go install` accepts). If none works it prints `sdk-download`: callers then let
# @temporalio/testing download the dev server itself (needs internet).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools/bin"
version="v1.5.1"

if [[ -n "${TEMPORAL_CLI:-}" && -x "${TEMPORAL_CLI}" ]]; then echo "$TEMPORAL_CLI"; exit 0; fi
if [[ -x "$tools/temporal" ]]; then echo "$tools/temporal"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi

if command -v go >/dev/null 2>&1; then
  mkdir -p "$tools"
  echo "runway: building the Temporal CLI $version with go install (first run only, a few minutes)..." >&2
  if GOBIN="$tools" GOFLAGS="${GOFLAGS:-} -mod=mod" go install "github.com/temporalio/cli/cmd/temporal@$version" >&2; then
    echo "$tools/temporal"; exit 0
  fi
  echo "runway: go install of the Temporal CLI failed" >&2
fi

if [[ "${RUNWAY_ALLOW_SDK_DOWNLOAD:-1}" == "1" ]]; then
  echo "runway: no temporal CLI and no Go toolchain; falling back to the Temporal SDK's own download" >&2
  echo "sdk-download"; exit 0
fi
echo "runway: cannot find or install the Temporal CLI: put 'temporal' on PATH, install Go, or set TEMPORAL_CLI" >&2
exit 1

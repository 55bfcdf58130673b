#!/usr/bin/env bash
# Prints the path of a usable `temporal` CLI on stdout (progress goes to stderr).
#
# Order: $TEMPORAL_CLI, the version-keyed cache ${XDG_CACHE_HOME:-~/.cache}/runway/temporal-<version>/temporal,
# `temporal` on PATH, `go install` into that cache (v1.5.1 is the last tag `go install` accepts), and last the
# Temporal SDK's own download (prints `sdk-download`; callers then let @temporalio/testing fetch the server).
#
# The cache lives outside the clone, so a second clone, a CI run or `make test` after `make dev` never
# rebuild it. A build goes to a temporary file first and is moved into place only when complete, so an
# interrupted build (Ctrl-C) never leaves a broken binary that later runs would trust.
set -euo pipefail
version="v1.5.1"
cache_root="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/runway"
cache_dir="$cache_root/temporal-$version"
cached="$cache_dir/temporal"
# The cold build of the CLI took about 17 minutes on a 2-core machine (docs/benchmarks.md); scale by cores.
cold_build_minutes_2_cores=17

say() { echo "runway: $*" >&2; }
works() { [[ -x "$1" ]] && "$1" --version >/dev/null 2>&1; }

if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  if works "$TEMPORAL_CLI"; then echo "$TEMPORAL_CLI"; exit 0; fi
  say "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable temporal CLI; looking elsewhere"
fi
if works "$cached"; then echo "$cached"; exit 0; fi
if command -v temporal >/dev/null 2>&1 && works "$(command -v temporal)"; then command -v temporal; exit 0; fi

if command -v go >/dev/null 2>&1 && [[ "${RUNWAY_SKIP_GO_INSTALL:-0}" != "1" ]]; then
  mkdir -p "$cache_dir"
  cores="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
  estimate=$(((cold_build_minutes_2_cores * 2 + cores - 1) / cores))
  ((estimate < 3)) && estimate=3
  say "no Temporal CLI found: building temporal $version from source with 'go install' (once per machine)."
  say "  it goes to $cached and is reused by every clone, 'make dev' and 'make test' from now on."
  say "  expect about $estimate min on $cores cores (downloading modules, then compiling ~1,500 packages);"
  say "  to skip the build: install a 'temporal' binary on PATH or set TEMPORAL_CLI=/path/to/temporal."
  building="$(mktemp -d "$cache_dir/.build-XXXXXX")"
  trap 'rm -rf "$building"' EXIT
  started=$SECONDS
  # A heartbeat every minute, so a quiet compiler does not look like a hang.
  (
    while sleep 60; do say "  still building the Temporal CLI ($(((SECONDS - started) / 60)) of ~$estimate min)..."; done
  ) &
  ticker=$!
  if GOBIN="$building" GOFLAGS="${GOFLAGS:-} -mod=mod" go install "github.com/temporalio/cli/cmd/temporal@$version" >&2 \
    && mv -f "$building/temporal" "$cached"; then
    kill "$ticker" 2>/dev/null || true
    say "built the Temporal CLI in $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s: $cached"
    echo "$cached"
    exit 0
  fi
  kill "$ticker" 2>/dev/null || true
  say "go install of the Temporal CLI failed (see above)"
fi

if [[ "${RUNWAY_ALLOW_SDK_DOWNLOAD:-1}" == "1" ]]; then
  say "no temporal CLI could be found or built: the Temporal SDK downloads its dev server instead (needs internet)"
  echo "sdk-download"
  exit 0
fi
say "cannot find or install the Temporal CLI: put 'temporal' on PATH, install Go, or set TEMPORAL_CLI"
exit 1

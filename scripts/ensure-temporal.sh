#!/usr/bin/env bash
# Prints the path of a usable `temporal` CLI on stdout (progress goes to stderr, with the path it took).
#
# Order: $TEMPORAL_CLI, the version-keyed cache ${XDG_CACHE_HOME:-~/.cache}/runway/temporal-<version>/temporal,
# `temporal` on PATH, then into that cache: the official release archive (seconds; its sha256 must match the
# one pinned below), `go install` (6 to 17 minutes; v1.5.1 is the last tag `go install` accepts) when the download
# fails, and last the Temporal SDK's own download (prints `sdk-download`; callers then let @temporalio/testing
# fetch the server).
#
# The cache lives outside the clone, so a second clone, a CI run or `make test` after `make dev` never
# download or rebuild it. A download or build goes to a temporary directory first and is moved into place only
# when complete and verified, so an interrupted one (Ctrl-C) never leaves a broken binary that later runs trust.
#
# RUNWAY_TEMPORAL_DOWNLOAD_BASE replaces the release server (a mirror; tests use one on 127.0.0.1), and
# RUNWAY_TEMPORAL_SHA256 the pinned checksum (a mirror's own build, or a platform not pinned here).
# RUNWAY_SKIP_TEMPORAL_DOWNLOAD=1 and RUNWAY_SKIP_GO_INSTALL=1 turn those two steps off.
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
  if works "$TEMPORAL_CLI"; then
    say "Temporal CLI: TEMPORAL_CLI=$TEMPORAL_CLI"
    echo "$TEMPORAL_CLI"
    exit 0
  fi
  say "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable temporal CLI; looking elsewhere"
fi
if works "$cached"; then
  say "Temporal CLI $version: cached in $cache_dir"
  echo "$cached"
  exit 0
fi
if command -v temporal >/dev/null 2>&1 && works "$(command -v temporal)"; then
  say "Temporal CLI: $(command -v temporal) (on PATH)"
  command -v temporal
  exit 0
fi

# The official release archives (goreleaser: temporal_cli_<version>_<os>_<arch>.tar.gz) and their sha256, as
# published in the release's checksums file.
download_base="${RUNWAY_TEMPORAL_DOWNLOAD_BASE:-https://github.com/temporalio/cli/releases/download}"
release_sha256() {
  case "$1" in
    linux_amd64) echo ddc95e08b0b076efd4ea9733a3f488eb7d2be875f8834e616cd2a37358b4852d ;;
    linux_arm64) echo bd1b0db9f18b051026de8bf6cc1505f2510f14bbb7a8b9a4a91fff46c77454f5 ;;
    darwin_amd64) echo bbb73e2a31135abe50a1f1cdb35030c42961df618e8ce9c60ae89f201540c5d9 ;;
    darwin_arm64) echo cca01b7ea35ad56e2a328d9ae596bf716bd22313ef63c7a761c88354457c2415 ;;
  esac
}
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# Downloads the release archive into the cache; fails (returns 1, saying why) on any problem, fast when offline.
download_release() {
  local os arch platform expected archive url actual
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch="$(uname -m)" ;;
  esac
  platform="${os}_${arch}"
  expected="${RUNWAY_TEMPORAL_SHA256:-$(release_sha256 "$platform")}"
  if [[ -z "$expected" ]]; then
    say "no pinned checksum for $platform: not downloading (set RUNWAY_TEMPORAL_SHA256 to allow it)"
    return 1
  fi
  if ! command -v curl >/dev/null 2>&1; then
    say "curl is not installed: not downloading"
    return 1
  fi
  archive="temporal_cli_${version#v}_${platform}.tar.gz"
  url="$download_base/$version/$archive"
  mkdir -p "$cache_dir"
  # Global, so the EXIT trap still sees it after this function returns.
  work="$(mktemp -d "$cache_dir/.download-XXXXXX")"
  trap 'rm -rf "${work:-}"' EXIT
  say "downloading the Temporal CLI $version release: $url"
  # A short connect timeout: without internet this fails in seconds, then Go builds it.
  if ! curl --fail --silent --show-error --location --connect-timeout 5 --max-time 300 --retry 1 \
    -o "$work/$archive" "$url" 2>"$work/curl.err"; then
    say "  download failed: $(tr -d '\r' <"$work/curl.err" | tail -1)"
    rm -rf "$work"
    return 1
  fi
  actual="$(sha256_of "$work/$archive")"
  if [[ "$actual" != "$expected" ]]; then
    say "  checksum mismatch: got sha256 $actual, expected $expected; discarded"
    rm -rf "$work"
    return 1
  fi
  if ! tar -xzf "$work/$archive" -C "$work" temporal 2>/dev/null || ! works "$work/temporal" \
    || ! "$work/temporal" --version 2>/dev/null | grep -q "${version#v}"; then
    say "  the archive holds no working temporal $version; discarded"
    rm -rf "$work"
    return 1
  fi
  mv -f "$work/temporal" "$cached"
  rm -rf "$work"
  say "downloaded the Temporal CLI $version (sha256 verified): $cached"
}

if [[ "${RUNWAY_SKIP_TEMPORAL_DOWNLOAD:-0}" != "1" ]] && download_release; then
  echo "$cached"
  exit 0
fi

if command -v go >/dev/null 2>&1 && [[ "${RUNWAY_SKIP_GO_INSTALL:-0}" != "1" ]]; then
  mkdir -p "$cache_dir"
  cores="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
  estimate=$(((cold_build_minutes_2_cores * 2 + cores - 1) / cores))
  ((estimate < 3)) && estimate=3
  say "no Temporal CLI found and none downloaded: building temporal $version from source with 'go install' (once per machine)."
  say "  it goes to $cached and is reused by every clone, 'make dev' and 'make test' from now on."
  say "  expect about $estimate min on $cores cores (downloading modules, then compiling ~1,500 packages);"
  say "  to skip the build: install a 'temporal' binary on PATH or set TEMPORAL_CLI=/path/to/temporal."
  building="$(mktemp -d "$cache_dir/.build-XXXXXX")"
  trap 'rm -rf "$building"' EXIT
  started=$SECONDS
  # A heartbeat every minute, so a quiet compiler does not look like a hang.
  # Stopping it stops its sleep too: a sleep left holding stdout would keep `$(ensure-temporal.sh)` waiting.
  (
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    while :; do
      sleep 60 &
      sleeper=$!
      wait "$sleeper"
      say "  still building the Temporal CLI ($(((SECONDS - started) / 60)) of ~$estimate min)..."
    done
  ) >/dev/null &
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

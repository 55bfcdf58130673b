#!/usr/bin/env bash
# Prints the path of a pinned Go tool the tests drive for real (progress goes to stderr):
#   helm         renders deploy/helm/runway (test/unit/helm-chart.test.ts)
#   kubeconform  validates the rendered objects against Kubernetes' OpenAPI schemas
# Order: $HELM / $KUBECONFORM, the version-keyed cache ${XDG_CACHE_HOME:-~/.cache}/runway/<tool>-<version>/,
# then `go install` of the pinned version into that cache (once per machine, shared by every clone).
# A tool on PATH is not used: its version would decide what the tests check.
# Usage: bash scripts/ensure-go-tool.sh helm|kubeconform
set -euo pipefail
tool="${1:-}"
case "$tool" in
  # helm v3: the major most clusters' pipelines run; the chart (apiVersion v2) renders the same with helm v4.
  helm) version="v3.21.4" module="helm.sh/helm/v3/cmd/helm" override="${HELM:-}" version_flag="version" minutes=8 ;;
  kubeconform)
    version="v0.8.0" module="github.com/yannh/kubeconform/cmd/kubeconform" override="${KUBECONFORM:-}"
    version_flag="-v" minutes=1
    ;;
  *)
    echo "usage: bash scripts/ensure-go-tool.sh helm|kubeconform" >&2
    exit 64
    ;;
esac
cache_dir="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/runway/$tool-$version"
cached="$cache_dir/$tool"

say() { echo "runway: $*" >&2; }
works() { [[ -x "$1" ]] && "$1" "$version_flag" >/dev/null 2>&1; }

if [[ -n "$override" ]]; then
  if works "$override"; then echo "$override"; exit 0; fi
  say "$tool override $override is not an executable $tool; looking elsewhere"
fi
if works "$cached"; then echo "$cached"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  say "cannot find or build $tool $version: install Go (go install $module@$version), or set the path in \$${tool^^}"
  exit 1
fi
mkdir -p "$cache_dir"
say "building $tool $version with 'go install' into $cached (once per machine, about $minutes min on 2 cores)..."
# Build into a temporary directory and move into place only when complete: an interrupted build never
# leaves a half binary that later runs would trust.
building="$(mktemp -d "$cache_dir/.build-XXXXXX")"
trap 'rm -rf "$building"' EXIT
if GOBIN="$building" GOFLAGS="${GOFLAGS:-} -mod=mod" go install "$module@$version" >&2 \
  && mv -f "$building/$tool" "$cached"; then
  say "built $tool $version: $cached"
  echo "$cached"
  exit 0
fi
say "go install $module@$version failed (see above)"
exit 1

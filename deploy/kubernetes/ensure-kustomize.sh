#!/usr/bin/env bash
# Prints the path of a usable `kustomize` (v5), installing it into .tools/bin if needed.
# Order: $KUSTOMIZE, .tools/bin/kustomize, `kustomize` v5 on PATH, `go install` of the pinned version.
# Used by test/unit/kubernetes-manifests.test.ts; handy by hand: `$(deploy/kubernetes/ensure-kustomize.sh) build ...`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="$root/.tools/bin"
# Pinned: v5.7.1 builds with Go 1.22+; v5.8.x asks for a newer Go toolchain than most machines have.
version="v5.7.1"

is_v5() { "$1" version 2>/dev/null | grep -q 'v5\.'; }

if [[ -n "${KUSTOMIZE:-}" ]]; then
  if [[ -x "$KUSTOMIZE" ]] && is_v5 "$KUSTOMIZE"; then echo "$KUSTOMIZE"; exit 0; fi
  echo "runway: KUSTOMIZE=$KUSTOMIZE is not an executable kustomize v5" >&2
  exit 1
fi
if [[ -x "$tools/kustomize" ]] && is_v5 "$tools/kustomize"; then echo "$tools/kustomize"; exit 0; fi
if command -v kustomize >/dev/null 2>&1 && is_v5 "$(command -v kustomize)"; then command -v kustomize; exit 0; fi

if command -v go >/dev/null 2>&1; then
  mkdir -p "$tools"
  echo "runway: building kustomize $version with go install (first run only, about a minute)..." >&2
  if GOBIN="$tools" GOFLAGS="${GOFLAGS:-} -mod=mod" go install "sigs.k8s.io/kustomize/kustomize/v5@$version" >&2; then
    echo "$tools/kustomize"; exit 0
  fi
  echo "runway: go install of kustomize $version failed" >&2
fi

echo "runway: cannot find or install kustomize v5: put it on PATH, install Go, or set KUSTOMIZE" >&2
exit 1

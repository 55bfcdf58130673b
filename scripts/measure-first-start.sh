#!/usr/bin/env bash
# Measures the first hour's first minute: a fresh clone of this repository (committed HEAD), `make dev`
# with whatever Temporal CLI cache this machine has, until the README's first webhook is answered.
# Prints the clock at each step. Usage: bash scripts/measure-first-start.sh [workdir]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/runway-first-start-XXXXXX)}"
clone="$work/runway"
log="$work/make-dev.log"
t0=$(date +%s%3N)
elapsed() { echo "$(( $(date +%s%3N) - t0 )) ms"; }

git clone --quiet "$root" "$clone"
echo "cloned:              $(elapsed)"
cd "$clone"
make dev >"$log" 2>&1 &
dev=$!
# dev.sh (make's child) stops the Temporal server and Runway on TERM.
trap 'pkill -TERM -P $dev 2>/dev/null || true; sleep 3; kill $dev 2>/dev/null || true' EXIT

installed=""
for _ in $(seq 1 1200); do
  if [[ -z "$installed" && -d node_modules/.bin && -f node_modules/.package-lock.json ]]; then
    installed=1
    echo "node_modules ready:  $(elapsed)"
  fi
  grep -q "runway is up" "$log" && break
  kill -0 "$dev" 2>/dev/null || { echo "make dev exited:"; tail -20 "$log"; exit 1; }
  sleep 0.1
done
echo "runway is up:        $(elapsed)"
status=$(curl -s -o "$work/answer.json" -w '%{http_code}' localhost:8080/webhooks/gitlab \
  -H 'Content-Type: application/json' -H 'X-Gitlab-Event: Merge Request Hook' -H 'X-Gitlab-Token: sandbox-secret' \
  -d '{"object_kind":"merge_request","project":{"id":1,"path_with_namespace":"sandbox/hello","web_url":"http://127.0.0.1:8081/sandbox/hello"},"object_attributes":{"iid":1,"title":"Say hello","action":"merge","target_branch":"main","merge_commit_sha":"0123456789abcdef0123456789abcdef01234567","url":"http://127.0.0.1:8081/sandbox/hello/-/merge_requests/1"}}')
echo "webhook answered:    $(elapsed) (HTTP $status)"
grep -o 'runway is up in [0-9.]* s' "$log" || true
echo "log: $log"

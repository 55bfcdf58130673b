#!/usr/bin/env bash
# Measures how long the API and the worker take from `node ...` to ready, compiled (node dist/..., what the
# image runs) against the TypeScript sources under tsx (what the image ran before), on a Temporal dev server on
# loopback. tsx runs with an empty compile cache, as in a fresh container; "tsx, warm" reuses one.
# Ready: the API's "runway api listening" log line, the worker's "runway worker started" (after it connected,
# registered search attributes and loaded the workflow bundle).
# Usage: npm run build && bash scripts/measure-cold-start.sh [runs per variant, default 5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-5}"
[[ -f dist/api/main.js && -f dist/workflow-bundle.js ]] || {
  echo "run npm run build first" >&2
  exit 1
}
work="$(mktemp -d /tmp/runway-cold-start-XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]:-}"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
cli="$(bash scripts/ensure-temporal.sh)"
[[ "$cli" != "sdk-download" ]] || {
  echo "needs the temporal CLI" >&2
  exit 1
}
"$cli" server start-dev --ip 127.0.0.1 --port "$port" --headless --log-level error \
  --db-filename "$work/temporal.db" >"$work/temporal.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
cat >"$work/runway.yaml" <<EOF
temporal: { address: '127.0.0.1:$port' }
server: { host: 127.0.0.1, port: 0 }
# Integrations are configured (the worker refuses to start without them) but not contacted at start.
gitlab: { url: 'http://127.0.0.1:9', token: t }
argocd: { url: 'http://127.0.0.1:9', token: t }
slack: { botToken: xoxb-t, defaultChannel: '#releases' }
services: {}
EOF

# Prints the milliseconds from start to the first log line matching $1 of the command that follows.
time_to() {
  local ready="$1" log start end pid
  shift
  # A new file per run, created before the process starts: grep never sees the previous run's line.
  log="$(mktemp "$work/run-XXXXXX.log")"
  start=$(date +%s%N)
  "$@" >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 3000); do
    grep -q "$ready" "$log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  end=$(date +%s%N)
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  grep -q "$ready" "$log" || {
    echo "not ready after $(((end - start) / 1000000)) ms: $*" >&2
    tail -5 "$log" >&2
    tail -5 "$work/temporal.log" >&2
    exit 1
  }
  echo $(((end - start) / 1000000))
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

export RUNWAY_CONFIG="$work/runway.yaml" LOG_LEVEL=info RUNWAY_METRICS_PORT=0
warm="$work/tsx-warm"
mkdir -p "$warm"
for role in ${ROLES:-api worker}; do
  if [[ "$role" == api ]]; then ready="runway api listening"; else ready="runway worker started"; fi
  compiled=() cold=() warmed=()
  for i in $(seq 1 "$runs"); do
    compiled+=("$(time_to "$ready" env RUNWAY_WORKFLOW_BUNDLE=dist/workflow-bundle.js node "dist/$role/main.js")")
    fresh="$work/tsx-cold-$i"
    mkdir -p "$fresh"
    cold+=("$(time_to "$ready" env TMPDIR="$fresh" RUNWAY_WORKFLOW_BUNDLE=dist/workflow-bundle.js \
      node --import tsx "$role/main.ts")")
    warmed+=("$(time_to "$ready" env TMPDIR="$warm" RUNWAY_WORKFLOW_BUNDLE=dist/workflow-bundle.js \
      node --import tsx "$role/main.ts")")
  done
  printf '%-7s compiled: median %5s ms (%s)\n' "$role" "$(printf '%s\n' "${compiled[@]}" | median)" "${compiled[*]}"
  printf '%-7s tsx, cold: median %5s ms (%s)\n' "$role" "$(printf '%s\n' "${cold[@]}" | median)" "${cold[*]}"
  printf '%-7s tsx, warm: median %5s ms (%s)\n' "$role" "$(printf '%s\n' "${warmed[@]}" | median)" "${warmed[*]}"
done

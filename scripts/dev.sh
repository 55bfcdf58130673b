#!/usr/bin/env bash
# `make dev`: a Temporal dev server that keeps its data in .data/ (releases survive a restart), then
# the Runway worker + API in the foreground, which prints a banner once it answers. Ctrl-C stops both.
#
# On a fresh clone, `npm ci` runs while the Temporal CLI is found (or built, once per machine) and its dev
# server starts: the two slowest steps of a first start overlap.
#
# The sandbox (no runway.yaml, no RUNWAY_CONFIG) keeps everything under .data/sandbox/ (Temporal's database
# included), a real config under .data/local/: switching between them never mixes their releases.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start_ms="$(date +%s%3N)"

address="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
port="${address##*:}"
ui_port="${TEMPORAL_UI_PORT:-8233}"
if [[ -z "${RUNWAY_CONFIG:-}" && ! -f runway.yaml ]]; then
  data_dir=".data/sandbox"
else
  data_dir=".data/local"
fi
mkdir -p "$data_dir"
pids=()
cleanup() { for pid in "${pids[@]:-}"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Dependencies: install when node_modules is missing or older than the lockfile.
npm_pid=""
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "runway: installing npm dependencies (npm ci)..."
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error &
  npm_pid=$!
fi

# Runway's search attributes, read from their one definition (domain/search-attributes.ts) without Node, so
# the server can start before npm ci is done. test/unit/dev-script.test.ts keeps this in step.
search_attribute_flags() {
  grep -oE "defineSearchAttributeKey\('[A-Za-z]+', SearchAttributeType\.[A-Z]+\)" domain/search-attributes.ts |
    sed -E "s/.*'([A-Za-z]+)', SearchAttributeType\.([A-Z]+)\)/\1 \2/" |
    while read -r name type; do
      case "$type" in
        INT) kind=Int ;; KEYWORD) kind=Keyword ;; BOOL) kind=Bool ;; DOUBLE) kind=Double ;;
        DATETIME) kind=Datetime ;; TEXT) kind=Text ;; KEYWORD_LIST) kind=KeywordList ;; *) continue ;;
      esac
      printf -- '--search-attribute\n%s=%s\n' "$name" "$kind"
    done
}

if listening "$port"; then
  echo "runway: using the Temporal server already listening on $address"
else
  if listening "$ui_port"; then
    echo "runway: port $ui_port (Temporal UI) is in use; set TEMPORAL_UI_PORT=<free port> (and TEMPORAL_ADDRESS=127.0.0.1:<port> for the server)" >&2
    exit 1
  fi
  cli="$(bash scripts/ensure-temporal.sh)"
  if [[ "$cli" == "sdk-download" ]]; then
    [[ -n "$npm_pid" ]] && { wait "$npm_pid"; npm_pid=""; }
    node_modules/.bin/tsx scripts/dev-temporal.ts "$port" "$ui_port" "$data_dir/temporal.db" &
  else
    mapfile -t sa_flags < <(search_attribute_flags)
    "$cli" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" \
      --db-filename "$data_dir/temporal.db" --log-level warn "${sa_flags[@]}" \
      --dynamic-config-value system.enableActivityEagerExecution=true \
      --dynamic-config-value limit.memoSize.warn=32768 &
  fi
  pids+=($!)
fi

if [[ -n "$npm_pid" ]]; then
  wait "$npm_pid" || { echo "runway: npm ci failed (see above)" >&2; exit 1; }
fi
for _ in $(seq 1 150); do listening "$port" && break; sleep 0.2; done
listening "$port" || { echo "runway: the Temporal dev server did not start on $address (see above)" >&2; exit 1; }

export TEMPORAL_ADDRESS="$address" TEMPORAL_UI_PORT="$ui_port" RUNWAY_DEV_START_MS="${RUNWAY_DEV_START_MS:-$start_ms}"
export RUNWAY_SANDBOX_DIR="${RUNWAY_SANDBOX_DIR:-.data/sandbox}"
node_modules/.bin/tsx scripts/dev-runway.ts &
pids+=($!)
wait -n "${pids[@]}"

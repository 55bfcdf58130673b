#!/usr/bin/env bash
# `make dev`: a Temporal dev server that keeps its data in .data/ (releases survive a restart), then
# the Runway worker + API in the foreground, which prints a banner once it answers. Ctrl-C stops both.
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

if listening "$port"; then
  echo "runway: using the Temporal server already listening on $address"
else
  if listening "$ui_port"; then
    echo "runway: port $ui_port (Temporal UI) is in use; set TEMPORAL_UI_PORT=<free port> (and TEMPORAL_ADDRESS=127.0.0.1:<port> for the server)" >&2
    exit 1
  fi
  cli="$(bash scripts/ensure-temporal.sh)"
  mapfile -t sa_flags < <(npx --no-install tsx -e "import('./domain/search-attributes.ts').then(m => console.log(m.devServerSearchAttributeFlags().join('\n')))")
  if [[ "$cli" == "sdk-download" ]]; then
    npx --no-install tsx scripts/dev-temporal.ts "$port" "$ui_port" "$data_dir/temporal.db" &
  else
    "$cli" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" \
      --db-filename "$data_dir/temporal.db" --log-level warn "${sa_flags[@]}" \
      --dynamic-config-value system.enableActivityEagerExecution=true &
  fi
  pids+=($!)
  for _ in $(seq 1 150); do listening "$port" && break; sleep 0.2; done
  listening "$port" || { echo "runway: the Temporal dev server did not start on $address (see above)" >&2; exit 1; }
fi

export TEMPORAL_ADDRESS="$address" TEMPORAL_UI_PORT="$ui_port" RUNWAY_DEV_START_MS="$start_ms"
export RUNWAY_SANDBOX_DIR="${RUNWAY_SANDBOX_DIR:-.data/sandbox}"
npx --no-install tsx scripts/dev-runway.ts &
pids+=($!)
wait -n "${pids[@]}"

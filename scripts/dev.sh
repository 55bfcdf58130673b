#!/usr/bin/env bash
# `make dev`: a Temporal dev server that keeps its data in .data/ (releases survive a restart), then
# the Runway worker in the foreground. Ctrl-C stops both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p .data

address="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
port="${address##*:}"
ui_port="${TEMPORAL_UI_PORT:-8233}"
pids=()
cleanup() { for pid in "${pids[@]:-}"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "runway: using the Temporal server already listening on $address"
else
  cli="$(bash scripts/ensure-temporal.sh)"
  mapfile -t sa_flags < <(npx --no-install tsx -e "import('./domain/search-attributes.ts').then(m => console.log(m.devServerSearchAttributeFlags().join('\n')))")
  if [[ "$cli" == "sdk-download" ]]; then
    npx --no-install tsx scripts/dev-temporal.ts "$port" "$ui_port" &
  else
    "$cli" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" \
      --db-filename .data/temporal.db --log-level warn "${sa_flags[@]}" \
      --dynamic-config-value system.enableActivityEagerExecution=true &
  fi
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
  echo "runway: Temporal dev server on $address, UI http://localhost:$ui_port"
fi

export TEMPORAL_ADDRESS="$address"
npx --no-install tsx scripts/dev-runway.ts &
pids+=($!)
wait -n "${pids[@]}"

#!/bin/sh
# `runway <command>` inside the container image: api (the default CMD), worker, check [--json]. Runs the
# JavaScript `npm run build` compiled into /app/dist.
# e.g. docker compose run --rm runway-api runway check
set -e
cd /app
command="${1:-api}"
[ "$#" -gt 0 ] && shift
case "$command" in
  api) exec node dist/api/main.js "$@" ;;
  worker) exec node dist/worker/main.js "$@" ;;
  check) exec node dist/cli/check.js "$@" ;;
  *)
    echo "usage: runway api | worker | check [--json]" >&2
    exit 64
    ;;
esac

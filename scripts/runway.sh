#!/bin/sh
# `runway <command>` inside the container image: api (the default CMD), worker, check [--json].
# e.g. docker compose run --rm runway-api runway check
set -e
cd /app
command="${1:-api}"
[ "$#" -gt 0 ] && shift
case "$command" in
  api) exec node --import tsx api/main.ts "$@" ;;
  worker) exec node --import tsx worker/main.ts "$@" ;;
  check) exec node --import tsx cli/check.ts "$@" ;;
  *)
    echo "usage: runway api | worker | check [--json]" >&2
    exit 64
    ;;
esac

#!/bin/sh
# One-shot job (the temporal-create-namespace service): waits until the Temporal cluster answers, then
# registers Runway's namespace unless it exists. A SQL-backed server starts with no user namespace.
# Runway's search attributes are not created here: the worker registers them itself at start
# (worker/search-attributes.ts). The temporal CLI reads TEMPORAL_ADDRESS from the environment.
set -eu

namespace="${NAMESPACE:-default}"
retention="${NAMESPACE_RETENTION:-30d}"

attempt=1
until temporal operator cluster health >/dev/null 2>&1; do
  if [ "$attempt" -ge 60 ]; then
    echo "Temporal at $TEMPORAL_ADDRESS did not become healthy" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
# A create that loses a race with another creator still ends with the namespace there.
elif temporal operator namespace create --namespace "$namespace" --retention "$retention" ||
  temporal operator namespace describe --namespace "$namespace" >/dev/null; then
  echo "namespace $namespace created (retention $retention)"
else
  exit 1
fi

#!/usr/bin/env bash
# A request that fails for a layer's state (503, 504, 500) says which layers are not healthy now,
# and what their health says: an operator saw only "a layer's backend is down". The layer
# (test_map) answers every get unavailable and reports itself critical.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_http.sh"
need curl curl

serve_one_layer '{name: down, plugin: test_map, config: {fail: unavailable_on_get, health: critical}}'
expect_get /v1/cache/k 503 "get of 'k': the runtime cannot serve now" \
  ". Now layer 'down' is critical: configured to be critical"
echo ok

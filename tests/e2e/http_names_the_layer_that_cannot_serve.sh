#!/usr/bin/env bash
# A request that fails for a layer's state (503, 504, 500) says which layers are not healthy now,
# and what their health says: an operator saw only "a layer's backend is down". The layer
# (test_map) answers every get unavailable and reports itself critical.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_http.sh"

cat >"$dir/deployment.yaml" <<'YAML'
layers:
  - {name: down, plugin: test_map, config: {fail: unavailable_on_get, health: critical}}
server:
  http: {address: "127.0.0.1:0"}
  resp: {enabled: false}
YAML
start_serve "$dir/deployment.yaml"

code=$(curl -s -o "$dir/get" -w '%{http_code}' "http://$address/v1/cache/k")
[ "$code" = 503 ] || fail "a get the layer cannot serve: expected 503, got $code: $(cat "$dir/get")"
grep -qF "get of 'k': the runtime cannot serve now" "$dir/get" || fail "no explanation: $(cat "$dir/get")"
grep -qF ". Now layer 'down' is critical: configured to be critical" "$dir/get" ||
  fail "the body does not name the layer and its health: $(cat "$dir/get")"
echo ok

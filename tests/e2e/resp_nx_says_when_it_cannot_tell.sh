#!/usr/bin/env bash
# A refused SET NX reads its key to tell "the key exists" (nil) from "no layer keeps the value"
# (an error). When that read cannot tell, its own error is the answer: taken for "absent", it
# blamed the value's size for a key that existed. The layer (test_map) answers its first get, then
# every later one unavailable: the NX's check finds the key, the read after it fails.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need redis-cli redis-tools

cat >"$dir/deployment.yaml" <<YAML
layers:
  - {name: flaky, plugin: test_map, config: {fail: unavailable_after_first_get}}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/deployment.yaml"
cli() { redis-cli -p "$port" "$@" 2>&1; }

expect "SET" "OK" "$(cli SET k v)"
answer=$(cli SET k other NX)
[[ "$answer" == "ERR strata: unavailable"* ]] || fail "SET NX whose read failed: expected the read's error, got '$answer'"
stop_resp
echo ok

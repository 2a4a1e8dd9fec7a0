#!/usr/bin/env bash
# `strata serve` with a layer stuck in a call (the test_map plugin sleeping an hour in a get):
# SIGTERM drains what it can, then, past twice runtime.shutdown_timeout plus 10 s, says so and exits
# 1 rather than wait for a thread no one can stop.
set -uo pipefail
strata=$1
kill_signal=KILL # at exit: the server's stuck thread would hold a TERM up for an hour
. "$(dirname "$0")/serve_http.sh"
need curl curl

cat >"$dir/deployment.yaml" <<'YAML'
runtime: {shutdown_timeout: 100ms}
layers:
  - {name: stuck, plugin: test_map, deadline: 50ms, config: {fail: hang_on_get, hang: 1h}}
server:
  http: {address: "127.0.0.1:0"}
  resp: {enabled: false}
YAML
start_serve "$dir/deployment.yaml"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$address/v1/cache/k")
[ "$code" = 504 ] || fail "a get of the stuck layer answered $code, not 504"
sigterm_serve 15
[ "$rc" = 1 ] || fail "exited $rc, not 1"
grep -q "strata: the drain did not end within 10200 ms (a plugin stuck in a call, or an HTTP client still sending; see the log); exiting without it" \
  "$dir/serve.log" || fail "no line saying why it exited"
echo ok

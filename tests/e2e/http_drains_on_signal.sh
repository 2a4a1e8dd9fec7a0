#!/usr/bin/env bash
# `strata serve` on SIGTERM stops accepting connections but answers the request it is serving,
# then exits 0; /v1/health answers 503 when the deployment is critical. The layer (test_map)
# takes 2 s per get and reports itself critical; the get has 0.8 s to reach it before the SIGTERM
# (a loaded machine may take more than 0.3 s to start curl and have its request read).
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_http.sh"
need curl curl

serve_one_layer '{name: slow, plugin: test_map, deadline: 5s, config: {fail: hang_on_get, hang: 2s, health: critical}}'
expect_get /v1/health 503 '"overall":"critical"'

curl -s -o "$dir/slow" -w '%{http_code}' "http://$address/v1/cache/k" >"$dir/slow_code" &
slow=$!; background+=("$slow")
sleep 0.8
kill -TERM "$pid"
sleep 0.2
# The listening socket is closed: a new connection is refused while the slow get is still served.
curl -s -o /dev/null "http://$address/v1/health"; rc=$?
[ "$rc" -eq 7 ] || fail "a connection after SIGTERM: expected curl's 'connection refused' (7), got exit code $rc"
wait "$slow"; background=()
[ "$(cat "$dir/slow_code")" = 404 ] || fail "the get in flight: expected 404, got '$(cat "$dir/slow_code")'"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "still running 5 s after SIGTERM"
wait "$pid"; rc=$?; pid=""
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM"
echo ok

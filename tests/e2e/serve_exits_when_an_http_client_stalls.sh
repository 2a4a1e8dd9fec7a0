#!/usr/bin/env bash
# `strata serve` with an HTTP client that sends its request one byte a second (the HTTP server
# waits for it, with no deadline for a whole request): SIGTERM still stops the Redis protocol at
# once, and past twice runtime.shutdown_timeout plus 10 s the process says why and exits 1.
set -uo pipefail
strata=$1
kill_signal=KILL
. "$(dirname "$0")/serve_http.sh"
need redis-cli redis-tools

cat >"$dir/deployment.yaml" <<'YAML'
runtime: {shutdown_timeout: 100ms}
layers:
  - {name: hot, plugin: predictive}
server:
  http: {address: "127.0.0.1:0"}
  resp: {address: "127.0.0.1:0"}
YAML
start_serve "$dir/deployment.yaml"
wait_resp_port
host=${address%:*}; port=${address##*:}
(
  exec 3<>"/dev/tcp/$host/$port" || exit 1
  printf 'GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: ' >&3
  while sleep 1; do printf 'a' >&3 || exit 0; done
) &
background+=($!)
sleep 1.5 # the request is being read
kill -TERM "$pid"
sleep 0.5
out=$(redis-cli -p "$resp_port" SET after_sigterm yes 2>&1)
grep -q "Connection refused" <<<"$out" || fail "RESP after SIGTERM: expected 'Connection refused', got '$out'"
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "still running 15 s after SIGTERM"
wait "$pid"; rc=$?; pid=""
[ "$rc" = 1 ] || fail "exited $rc, not 1"
grep -q "strata: the drain did not end within 10200 ms (a plugin stuck in a call, or an HTTP client still sending" \
  "$dir/serve.log" || fail "no line saying why it exited"
echo ok

#!/usr/bin/env bash
# `strata serve` on SIGTERM stops accepting RESP connections and reading requests, but answers
# the GET it is serving, then exits 0. The layer (test_map) takes 1 s per get.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need redis-cli redis-tools

cat >"$dir/deployment.yaml" <<'YAML'
layers:
  - {name: slow, plugin: test_map, deadline: 5s, config: {fail: hang_on_get, hang: 1s}}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/deployment.yaml"
redis-cli -p "$port" GET k >"$dir/slow" 2>&1 &
slow=$!; background+=("$slow")
sleep 0.3
kill -TERM "$pid"
sleep 0.2
out=$(redis-cli -p "$port" PING 2>&1)
grep -q "Connection refused" <<<"$out" || fail "a connection after SIGTERM: expected 'Connection refused', got '$out'"
wait "$slow"; background=()
expect "the GET in flight (a miss, after 1 s)" "" "$(cat "$dir/slow")"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "still running 5 s after SIGTERM"
wait "$pid"; rc=$?; pid=""
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM"
grep -q "strata: stopped" "$dir/serve.log" || fail "no 'strata: stopped' line"

# A reply that comes after the RESP drain gave up but while the runtime still waits (each waits
# shutdown_timeout, 600 ms; the get takes 1 s from 0.1 s before SIGTERM) finds its connection's
# loop gone: dropped, not written into freed memory (which crashed the server).
sed -i '1i runtime: {shutdown_timeout: 600ms}' "$dir/deployment.yaml"
start_resp "$dir/deployment.yaml"
redis-cli -p "$port" GET k >/dev/null 2>&1 &
background+=($!)
sleep 0.1
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "still running 5 s after SIGTERM (late reply)"
wait "$pid"; rc=$?; pid=""
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM with a reply owed past the drain"
echo ok

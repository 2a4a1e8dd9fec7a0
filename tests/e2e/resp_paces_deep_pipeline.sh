#!/usr/bin/env bash
# A pipeline deeper than the layers get through within their deadline: with
# server.resp.max_in_flight the loop feeds the layer as fast as it answers, and every request is
# answered; without the bound (1000000) its tail waits in the layer's mailbox past its deadline.
# The layer (test_map) takes 20 ms per get; 100 gets take 2 s against a 1 s deadline (400 ms, a
# fifth of 2 s, was missed once with the bound by a get queued behind four on a loaded machine).
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need redis-cli redis-tools
need nc netcat-openbsd

for i in $(seq 100); do printf 'GET k%s\r\n' "$i"; done >"$dir/gets"

# run_with IN_FLIGHT: starts the server with that bound, pipelines the 100 GETs twice (redis-cli
# --pipe, then nc -N, which half-closes after sending), and sets the timeouts each got in $by_pipe
# and $by_nc. Not run in $(...): a fail there ended the subshell only, and left its server running.
run_with() {
  cat >"$dir/deployment.yaml" <<YAML
layers:
  - {name: slow, plugin: test_map, deadline: 1s, config: {fail: hang_on_get, hang: 20ms}}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0", max_in_flight: $1}
YAML
  start_resp "$dir/deployment.yaml"
  redis-cli -p "$port" --pipe <"$dir/gets" >"$dir/pipe.out" 2>&1
  grep -a -q "replies: 100" "$dir/pipe.out" || fail "max_in_flight $1: redis-cli --pipe: $(tail -c 300 "$dir/pipe.out")"
  by_pipe=$(grep -a -c "timeout" "$dir/pipe.out")
  timeout 20 nc -N 127.0.0.1 "$port" <"$dir/gets" >"$dir/nc.out" || fail "max_in_flight $1: nc -N did not end"
  [ "$(grep -a -c '' "$dir/nc.out")" -eq 100 ] || fail "max_in_flight $1: nc -N got $(grep -a -c '' "$dir/nc.out") replies"
  by_nc=$(grep -a -c "timeout" "$dir/nc.out")
  stop_resp
}

run_with 4
expect "timeouts with max_in_flight 4 (redis-cli --pipe, nc -N)" "0 0" "$by_pipe $by_nc"
run_with 1000000
[ "$by_pipe" -gt 0 ] && [ "$by_nc" -gt 0 ] ||
  fail "without the bound the pipeline's tail should time out (the layer needs 2 s): $by_pipe, $by_nc timeouts"
echo ok

#!/usr/bin/env bash
# A layer's plugin that faults ends `strata serve` with that signal as before, but first a line
# names the plugin file and an offset in it: the faulting instruction's (the test_map plugin
# writing through a null pointer in a get), or, for a signal raised in the C library, the
# plugin's call on the stack (the plugin calling abort, as a failed assert does), or the plugin's
# recursion that overflowed its thread's stack.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_http.sh"
need curl curl

expect_death() { # MODE SIGNAL NUMBER WHERE
  cat >"$dir/deployment.yaml" <<YAML
layers:
  - {name: faulting, plugin: test_map, config: {fail: $1}}
server:
  http: {address: "127.0.0.1:0"}
  resp: {enabled: false}
YAML
  start_serve "$dir/deployment.yaml"
  curl -s -o /dev/null --max-time 10 "http://$address/v1/cache/k"
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && fail "$1: still running 10 s after the fault"
  wait "$pid"; rc=$?; pid=""
  [ "$rc" = $((128 + $3)) ] || fail "$1: exited $rc, not $((128 + $3)) ($2)"
  grep -Eq "^strata: fatal signal $2 $4 plugin 'test_map' \(/.*/libstrata_test_map\.so\+0x[0-9a-f]+\); the process ends$" \
    "$dir/serve.log" || fail "$1: no line naming the plugin"
}
expect_death crash_on_get SIGSEGV 11 "at address 0x0 in"
expect_death abort_on_get SIGABRT 6 "in code called from"
# A stack overflow, on a thread of the actor system and in an HTTP worker reading the first layer's
# view: each has an alternate signal stack (before, the handler faulted too, and wrote nothing).
expect_death overflow_on_get SIGSEGV 11 "at address 0x[0-9a-f]+ in"
expect_death view_overflows SIGSEGV 11 "at address 0x[0-9a-f]+ in"
echo ok

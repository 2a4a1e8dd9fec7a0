# Sourced by the RESP end-to-end scripts. start_resp DEPLOYMENT: starts `strata serve` on it in
# the background (pid in $pid, output in $dir/serve.log) and waits for its "strata: resp on
# ADDRESS" line (port in $port). Needs $strata; sources e2e_session.sh.
. "$(dirname "${BASH_SOURCE[0]}")/e2e_session.sh"
start_resp() {
  "$strata" serve -c "$1" >"$dir/serve.log" 2>&1 &
  pid=$!
  port=""
  for _ in $(seq 600); do
    port=$(sed -n 's/^strata: resp on 127\.0\.0\.1://p' "$dir/serve.log")
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || fail "strata serve exited before listening"
    sleep 0.05
  done
  fail "no 'strata: resp on ADDRESS' line within 30 s"
}

# info_count SECTION FIELD: the whole number `INFO SECTION` gives for FIELD (its CR left out).
info_count() { redis-cli -p "$port" INFO "$1" | sed -n "s/^$2:\([0-9]*\).*/\1/p"; }

# expect WHAT EXPECTED ACTUAL
expect() { [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"; }

# stop_resp: SIGTERM, then the server must exit 0 within 5 s.
stop_resp() {
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && fail "still running 5 s after SIGTERM"
  wait "$pid"; local rc=$?; pid=""
  [ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM"
  grep -q "strata: stopped" "$dir/serve.log" || fail "no 'strata: stopped' line"
}

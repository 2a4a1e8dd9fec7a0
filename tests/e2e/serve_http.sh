# Sourced by the HTTP end-to-end scripts. start_serve DEPLOYMENT: starts `strata serve` on it in
# the background (pid in $pid, output in $dir/serve.log) and waits for its "strata: http on
# ADDRESS" line (address in $address). Needs $strata; sources e2e_session.sh.
. "$(dirname "${BASH_SOURCE[0]}")/e2e_session.sh"
start_serve() {
  "$strata" serve -c "$1" >"$dir/serve.log" 2>&1 &
  pid=$!
  address=""
  for _ in $(seq 600); do
    address=$(sed -n 's/^strata: http on //p' "$dir/serve.log")
    [ -n "$address" ] && return 0
    kill -0 "$pid" 2>/dev/null || fail "strata serve exited before listening"
    sleep 0.05
  done
  fail "no 'strata: http on ADDRESS' line within 30 s"
}

# sigterm_serve SECONDS: sends SIGTERM to $pid and waits at most SECONDS for it to exit; its exit
# code in $rc.
sigterm_serve() {
  kill -TERM "$pid"
  for _ in $(seq $(($1 * 20))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && fail "still running $1 s after SIGTERM"
  wait "$pid"; rc=$?; pid=""
}

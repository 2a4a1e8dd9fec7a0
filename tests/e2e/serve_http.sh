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

# wait_resp_port: the port of the "strata: resp on 127.0.0.1:PORT" line, which serve prints just
# after the http one (read at once, it could still be missing), in $resp_port.
wait_resp_port() {
  resp_port=""
  for _ in $(seq 100); do
    resp_port=$(sed -n 's/^strata: resp on 127\.0\.0\.1://p' "$dir/serve.log")
    [ -n "$resp_port" ] && return 0
    sleep 0.05
  done
  fail "no 'strata: resp on 127.0.0.1:PORT' line"
}

# serve_one_layer LAYER: start_serve on a deployment of that one layer (a YAML flow mapping), HTTP
# on a port the kernel picks, RESP off.
serve_one_layer() {
  printf 'layers:\n  - %s\nserver:\n  http: {address: "127.0.0.1:0"}\n  resp: {enabled: false}\n' "$1" \
    >"$dir/deployment.yaml"
  start_serve "$dir/deployment.yaml"
}

# expect_get PATH CODE TEXT...: a GET of PATH answers CODE with a body holding each TEXT (the body
# in $dir/body).
expect_get() {
  local path=$1 want=$2 code text; shift 2
  code=$(curl -s --max-time 30 -o "$dir/body" -w '%{http_code}' "http://$address$path")
  [ "$code" = "$want" ] || fail "GET $path: expected $want, got $code: $(cat "$dir/body")"
  for text in "$@"; do
    grep -qF -- "$text" "$dir/body" || fail "GET $path: the body lacks '$text': $(cat "$dir/body")"
  done
}

# sigterm_serve SECONDS: sends SIGTERM to $pid and waits at most SECONDS for it to exit; its exit
# code in $rc.
sigterm_serve() {
  kill -TERM "$pid"
  for _ in $(seq $(($1 * 20))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && fail "still running $1 s after SIGTERM"
  wait "$pid"; rc=$?; pid=""
}

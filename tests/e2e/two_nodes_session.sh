# Sourced by the scripts that run examples/deployments/two-nodes on the PostgreSQL of
# scripts/pg-start: skips (77) without STRATA_PG_DSN, fails without it under CI; makes $dir; stops
# the nodes at exit. Needs $strata and $src.
if [ -z "${STRATA_PG_DSN:-}" ]; then
  [ -n "${STRATA_REQUIRE_PG:-}${CI:-}" ] && { echo "FAIL: STRATA_PG_DSN is not set (scripts/pg-start)"; exit 1; }
  echo "SKIP: STRATA_PG_DSN is not set (eval \"\$(scripts/pg-start)\" first)"; exit 77
fi
dir=$(mktemp -d); pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; for n in a b; do echo "--- node $n:"; cat "$dir/$n.log"; done; exit 1; }

# start NODE [ENV...]: strata serve on node-NODE.yaml under ENV, every port chosen by the kernel;
# once it serves, its HTTP address is in $dir/NODE.address, its Redis protocol's port in
# $dir/NODE.port.
start() {
  local node=$1; shift
  env "$@" STRATA_HTTP_ADDRESS=127.0.0.1:0 STRATA_RESP_ADDRESS=127.0.0.1:0 STRATA_METRICS_ADDRESS=127.0.0.1:0 \
    "$strata" serve -c "$src/examples/deployments/two-nodes/node-$node.yaml" >"$dir/$node.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do
    local address port
    address=$(sed -n 's/^strata: http on //p' "$dir/$node.log")
    port=$(sed -n 's/^strata: resp on 127\.0\.0\.1://p' "$dir/$node.log")
    if [ -n "$address" ] && [ -n "$port" ]; then
      echo "$address" >"$dir/$node.address"
      echo "$port" >"$dir/$node.port"
      return 0
    fi
    sleep 0.05
  done
  fail "node $node did not start listening"
}

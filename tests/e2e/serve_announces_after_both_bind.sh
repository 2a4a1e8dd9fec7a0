#!/usr/bin/env bash
# `strata serve` whose Redis port is taken exits 1 without having announced its HTTP port: a
# script waiting for "http on" must not take it for a running server.
set -uo pipefail
strata=$1; deployment=$2
taken=$(mktemp)
# Holds a port on 127.0.0.1 until this script ends, and writes its number.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$taken" &
holder=$!
trap 'kill $holder 2>/dev/null; rm -f "$taken"' EXIT
for _ in $(seq 100); do [ -s "$taken" ] && break; sleep 0.05; done
port=$(cat "$taken")
out=$(STRATA_HTTP_ADDRESS=127.0.0.1:0 STRATA_RESP_ADDRESS=127.0.0.1:$port timeout 60 "$strata" serve -c "$deployment" 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 1 ] || { echo "expected exit code 1, got $rc"; exit 1; }
# At the address's line and column in the deployment (configs/default.yaml: the value at column 14).
line=$(grep -n 'STRATA_RESP_ADDRESS' "$deployment" | cut -d: -f1)
grep -q "$deployment:$line:14: server.resp.address: cannot listen on 127.0.0.1:$port" <<<"$out" ||
  { echo "missing: the resp error at $deployment:$line:14"; exit 1; }
! grep -q "strata: http on" <<<"$out" || { echo "announced http before the resp port failed"; exit 1; }

#!/usr/bin/env bash
# `strata serve` whose HTTP port, or else whose Redis port, is taken exits 1 naming the key at its
# line and column, before it starts the runtime: no "strata: serving", no "runtime started", no
# SQLite file of the global layer, no snapshot of the json exporter (it would have overwritten the
# one of the instance that holds the port).
set -uo pipefail
strata=$1
dir=$(mktemp -d)
holder=
trap '[ -n "$holder" ] && kill $holder 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# Holds a port on 127.0.0.1 until this script ends, and writes its number.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$dir/taken" &
holder=$!
for _ in $(seq 100); do [ -s "$dir/taken" ] && break; sleep 0.05; done
port=$(cat "$dir/taken")
[ -n "$port" ] || fail "no port held"

# taken KEY HTTP_ADDRESS RESP_ADDRESS: serve fails on KEY's address, having started nothing.
taken() {
  local key=$1 http=$2 resp=$3 case=$dir/$1
  mkdir -p "$case"
  cat >"$case/deployment.yaml" <<YAML
layers:
  - name: shared
    plugin: global
    config: {backend: sqlite, sqlite_path: "$case/data/global.sqlite3"}
exporters:
  - {name: snapshot, plugin: json, config: {path: "$case/stats.json", interval: 50ms}}
server:
  http:
    address: "$http"
  resp:
    address: "$resp"
YAML
  out=$(timeout 60 "$strata" serve -c "$case/deployment.yaml" 2>&1)
  rc=$?
  echo "--- $key taken"
  echo "$out"
  [ "$rc" -eq 1 ] || fail "$key taken: expected exit code 1, got $rc"
  local section=${key#server.}; section=${section%.address}
  local line
  line=$(grep -n "^  $section:" "$case/deployment.yaml" | cut -d: -f1)
  line=$((line + 1))
  grep -qF "$case/deployment.yaml:$line:14: $key: cannot listen on 127.0.0.1:$port: Address already in use" <<<"$out" ||
    fail "$key taken: no error at $case/deployment.yaml:$line:14"
  ! grep -q "strata: serving" <<<"$out" || fail "$key taken: said it serves"
  ! grep -q "runtime started" <<<"$out" || fail "$key taken: started the runtime"
  ! grep -q "strata: http on\|strata: resp on" <<<"$out" || fail "$key taken: announced a port"
  [ ! -e "$case/data/global.sqlite3" ] || fail "$key taken: created the global layer's SQLite file"
  [ ! -e "$case/stats.json" ] || fail "$key taken: the json exporter wrote its snapshot"
}
taken server.http.address "127.0.0.1:$port" "127.0.0.1:0"
taken server.resp.address "127.0.0.1:0" "127.0.0.1:$port"
echo ok

#!/usr/bin/env bash
# `strata serve` with a json exporter on standard output: stdout carries only its JSON lines (the
# server's own lines, "strata: http on ...", go to stderr), so that `strata serve | jq` works.
set -uo pipefail
strata=$1
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$dir/out"; echo "--- stderr"; cat "$dir/err"; exit 1; }
cat >"$dir/deployment.yaml" <<YAML
layers:
  - {name: hot, plugin: predictive}
exporters:
  - {name: lines, plugin: json, config: {path: "-", mode: lines, interval: 50ms}}
server:
  http: {address: "127.0.0.1:0"}
  resp: {address: "127.0.0.1:0"}
YAML
"$strata" serve -c "$dir/deployment.yaml" >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 400); do [ "$(wc -l <"$dir/out")" -ge 3 ] && break; sleep 0.05; done
grep -q "strata: http on" "$dir/err" || fail "no 'strata: http on' line on stderr"
kill -TERM "$pid"
wait "$pid" || fail "strata serve did not exit 0 on SIGTERM"
pid=
grep -q "strata: stopped" "$dir/err" || fail "no 'strata: stopped' line on stderr"
python3 - "$dir/out" <<'PY' || fail "stdout holds something other than the exporter's JSON lines"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) >= 3, f"{len(lines)} lines"
for n, line in enumerate(lines, 1):
    doc = json.loads(line)  # raises on anything else
    assert doc.get("format") == 1 and "stats" in doc, f"line {n} is no snapshot: {line[:80]}"
print(f"{len(lines)} JSON lines on stdout")
PY
echo ok

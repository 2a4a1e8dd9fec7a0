#!/usr/bin/env bash
# `strata dashboard -c DEPLOYMENT` renders what the deployment's json exporter last wrote: here a
# running `strata serve`.
set -uo pipefail
strata=$1
. "$(dirname "$0")/e2e_session.sh"
cat >"$dir/deployment.yaml" <<YAML
runtime: {stats_interval: 50ms}
layers:
  - {name: edge_cache, plugin: predictive}
exporters:
  - {name: snapshots, plugin: json, config: {path: "$dir/stats.json", interval: 50ms}}
server: {http: {enabled: false}, resp: {enabled: false}}
YAML
"$strata" serve -c "$dir/deployment.yaml" 2>"$dir/serve.log" &
pid=$!
for _ in $(seq 400); do [ -s "$dir/stats.json" ] && break; sleep 0.05; done
[ -s "$dir/stats.json" ] || fail "the json exporter wrote nothing"
"$strata" dashboard -c "$dir/deployment.yaml" >"$dir/stats.html" || fail "dashboard -c failed"
grep -q "edge_cache" "$dir/stats.html" || fail "the layer is not on the page"

printf 'layers:\n  - {name: hot, plugin: predictive}\n' >"$dir/plain.yaml"
out=$("$strata" dashboard -c "$dir/plain.yaml" 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "expected exit code 1 without a json exporter, got $rc"
grep -qF "no exporter with plugin json" <<<"$out" || fail "unexpected: $out"
echo ok

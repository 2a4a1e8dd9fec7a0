#!/usr/bin/env bash
# `strata dashboard -c DEPLOYMENT` renders what the deployment's json exporter last wrote: here a
# running `strata serve`.
set -uo pipefail
strata=$1
dir=$(mktemp -d); trap 'kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
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
for _ in $(seq 100); do [ -s "$dir/stats.json" ] && break; sleep 0.05; done
[ -s "$dir/stats.json" ] || { echo "the json exporter wrote nothing"; cat "$dir/serve.log"; exit 1; }
"$strata" dashboard -c "$dir/deployment.yaml" >"$dir/stats.html" || { echo "dashboard -c failed"; exit 1; }
grep -q "edge_cache" "$dir/stats.html" || { echo "the layer is not on the page"; exit 1; }

printf 'layers:\n  - {name: hot, plugin: predictive}\n' >"$dir/plain.yaml"
out=$("$strata" dashboard -c "$dir/plain.yaml" 2>&1); rc=$?
[ "$rc" -eq 1 ] || { echo "expected exit code 1 without a json exporter, got $rc"; exit 1; }
grep -qF "no exporter with plugin json" <<<"$out" || { echo "unexpected: $out"; exit 1; }
echo ok

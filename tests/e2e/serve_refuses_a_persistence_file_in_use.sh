#!/usr/bin/env bash
# A second `strata serve` on the semantic layer's persistence file of a running one exits 1 naming
# the file, at its key (two would each serve their own entries and overwrite each other's rows); once the
# first has stopped, the file is free again.
set -uo pipefail
strata=$1
dir=$(mktemp -d)
first_out=$dir/first.out
first=
trap '[ -n "$first" ] && kill $first 2>/dev/null; rm -rf "$dir"' EXIT
cat >"$dir/deployment.yaml" <<YAML
layers:
  - name: meaning
    plugin: semantic
    promote: false
    write: around
    embedder: lexical
    config:
      index: flat
      sqlite_path: "$dir/data/semantic.sqlite3"
embedders:
  - name: lexical
    plugin: lexical_hash
    config: {dimension: 64}
server:
  http: {address: "127.0.0.1:0"}
  resp: {address: "127.0.0.1:0"}
YAML
"$strata" serve -c "$dir/deployment.yaml" >"$first_out" 2>&1 &
first=$!
for _ in $(seq 200); do grep -q "strata: http on" "$first_out" && break; sleep 0.05; done
grep -q "strata: http on" "$first_out" || { cat "$first_out"; echo "the first server did not start"; exit 1; }

out=$(timeout 60 "$strata" serve -c "$dir/deployment.yaml" 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 1 ] || { echo "expected exit code 1 from the second server, got $rc"; exit 1; }
grep -q "persistence file '$dir/data/semantic.sqlite3': in use by another process, or by another plugin's layer of this one" <<<"$out" ||
  { echo "missing: the error naming the file"; exit 1; }
# Placed at the key that names the file, not at the layer alone.
grep -Eq "deployment\.yaml:9:[0-9]+: layers\[0\]\.config\.sqlite_path: " <<<"$out" ||
  { echo "missing: the error placed at layers[0].config.sqlite_path"; exit 1; }

kill -TERM $first
wait $first
first=
timeout 60 "$strata" serve -c "$dir/deployment.yaml" >"$dir/third.out" 2>&1 &
third=$!
for _ in $(seq 200); do grep -q "strata: http on" "$dir/third.out" && break; sleep 0.05; done
kill -TERM $third
wait $third
grep -q "strata: http on" "$dir/third.out" || { cat "$dir/third.out"; echo "the file was not free once the first stopped"; exit 1; }
echo "ok"

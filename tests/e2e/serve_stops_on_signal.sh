#!/usr/bin/env bash
# `strata serve` starts a deployment, and on SIGTERM drains and exits 0.
set -euo pipefail
strata=$1; deployment=$2
out=$(mktemp)
"$strata" serve -c "$deployment" >"$out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "serving" "$out" && break; sleep 0.05; done
grep -q "strata: serving $deployment with 2 layer(s)" "$out" || { cat "$out"; exit 1; }
kill -TERM "$pid"
wait "$pid"
grep -q "strata: SIGTERM, draining" "$out" && grep -q "strata: stopped" "$out" || { cat "$out"; exit 1; }
# The runtime's last log line before the server's: the log's thread wrote it after "strata: stopped".
[ "$(grep -n -e "runtime stopped" -e "strata: stopped" "$out" | cut -d: -f2- | sed 's/.*\(runtime stopped\|strata: stopped\).*/\1/' | tr '\n' ,)" = "runtime stopped,strata: stopped," ] ||
  { echo "the log's last line came after 'strata: stopped'"; cat "$out"; exit 1; }

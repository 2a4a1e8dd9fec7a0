#!/usr/bin/env bash
# `strata check-config` on a bad deployment prints every error with file:line:column and exits 1.
set -uo pipefail
strata=$1; deployment=$2
out=$("$strata" check-config "$deployment" 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 1 ] || { echo "expected exit code 1, got $rc"; exit 1; }
for expected in \
  "$deployment:5:20: layers[0].config.max_entries: '0' is below the minimum of 1" \
  "$deployment:6:18: layers[0].config.max_bytes: expected a size such as 64MiB, got 'lots'" \
  "$deployment:7:7: layers[0].config.colour: unknown key 'colour' for plugin 'predictive'" \
  "$deployment:9:13: layers[1].plugin: no plugin named 'no_such_plugin'" \
  "4 errors in $deployment"; do
  grep -qF -- "$expected" <<<"$out" || { echo "missing: $expected"; exit 1; }
done

#!/usr/bin/env bash
# `strata check-config` on a bad deployment prints every error with file:line:column and exits 1.
# Usage: check_config_reports_errors.sh STRATA DEPLOYMENT ERROR_COUNT "LINE:COLUMN: message"...
set -uo pipefail
strata=$1; deployment=$2; count=$3; shift 3
out=$("$strata" check-config "$deployment" 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 1 ] || { echo "expected exit code 1, got $rc"; exit 1; }
for expected in "$@"; do
  grep -qF -- "$deployment:$expected" <<<"$out" || { echo "missing: $deployment:$expected"; exit 1; }
done
grep -qxF -- "$count errors in $deployment" <<<"$out" || { echo "missing: $count errors in $deployment"; exit 1; }

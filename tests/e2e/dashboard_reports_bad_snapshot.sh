#!/usr/bin/env bash
# `strata dashboard -o OUT` writes what it prints; a page standard output cannot take, and a missing
# or malformed snapshot, exit 1 with an error that says so (naming the file).
set -uo pipefail
strata=$1; write_sample=$2
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
"$write_sample" >"$dir/f.json" || exit 1

{ "$strata" dashboard --snapshot "$dir/f.json" >"$dir/stdout.html" &&
  "$strata" dashboard --snapshot "$dir/f.json" -o "$dir/out.html"; } ||
  { echo "strata dashboard failed on a good snapshot"; exit 1; }
cmp -s "$dir/stdout.html" "$dir/out.html" || { echo "-o wrote something else than stdout"; exit 1; }
# A page standard output cannot take (a full disk) is a failure that says so.
out=$("$strata" dashboard --snapshot "$dir/f.json" 2>&1 >/dev/full); rc=$?
[ "$rc" -eq 1 ] || { echo "printing to /dev/full exited $rc, not 1"; exit 1; }
grep -qF "strata dashboard: cannot write its output" <<<"$out" || { echo "no word of the lost page: $out"; exit 1; }

expect_failure() { # file, expected message
  out=$("$strata" dashboard --snapshot "$1" 2>&1 >"$dir/none.html"); rc=$?
  echo "$out"
  [ "$rc" -eq 1 ] || { echo "expected exit code 1, got $rc"; exit 1; }
  grep -qF -- "$2" <<<"$out" || { echo "missing: $2"; exit 1; }
  [ ! -s "$dir/none.html" ] || { echo "printed HTML anyway"; exit 1; }
}
expect_failure "$dir/missing.json" "strata dashboard: cannot read $dir/missing.json: No such file or directory"
expect_failure "$dir" "strata dashboard: cannot read $dir: it is a directory"
echo '{"format": 1, "taken_unix_ms": 0}' >"$dir/partial.json"
expect_failure "$dir/partial.json" "strata dashboard: $dir/partial.json: stats: missing"
echo '{"format": 1,' >"$dir/cut.json"
expect_failure "$dir/cut.json" "strata dashboard: $dir/cut.json: not JSON: parse error at line 2, column 1"

#!/usr/bin/env bash
# Runs COMMAND, prints what it wrote, and says "exited N, expected CODE" when its exit status is
# another: a test that matches the output (PASS_REGULAR_EXPRESSION, which ignores the exit status)
# fails on that line (FAIL_REGULAR_EXPRESSION).
# Usage: exits_with.sh CODE COMMAND [ARGS...]
set -u
code=$1; shift
"$@" 2>&1
rc=$?
[ "$rc" -eq "$code" ] || echo "exited $rc, expected $code"

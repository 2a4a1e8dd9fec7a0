#!/usr/bin/env bash
# Runs COMMAND with its standard output on /dev/full, where every write fails as on a full disk,
# prints what it wrote on standard error, then "exited N".
# Usage: stdout_full.sh COMMAND [ARGS...]
set -u
"$@" 2>&1 >/dev/full
echo "exited $?"

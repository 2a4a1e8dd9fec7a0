#!/usr/bin/env bash
# examples/deployments/two-nodes with node b's clock 30 s ahead of node a's (libfaketime): both
# write and compare expiries by the database's clock, so that they agree on every entry's TTL. By
# their own clocks, `SET k v EX 20` on a was expired at once for b, and `SET k v EX 60` on b lasted
# 90 s on a (audit). Usage: two_nodes_disagree_on_the_time.sh STRATA SOURCE_DIR
set -uo pipefail
strata=$1; src=$2
. "$(dirname "$0")/two_nodes_session.sh"
faketime=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[ -f "$faketime" ] || { echo "no $faketime: scripts/setup installs the package libfaketime"; exit 1; }
command -v redis-cli >/dev/null || { echo "redis-cli not found: scripts/setup installs redis-tools"; exit 1; }
start a
start b LD_PRELOAD="$faketime" FAKETIME=+30 FAKETIME_DONT_FAKE_MONOTONIC=1
a=$(cat "$dir/a.port"); b=$(cat "$dir/b.port")
on() { local port=$1; shift; redis-cli -p "$port" "$@" 2>&1; }
key="e2e-clocks-$RANDOM$RANDOM"

# b runs 30 s ahead (its log's times say so): the faking took.
started() { date -d "$(sed -n 's/^\([0-9T:.-]*\)Z info runtime started.*/\1/p' "$dir/$1.log")Z" +%s; }
a_time=$(started a) && b_time=$(started b) || fail "no 'runtime started' line with a time"
[ $((b_time - a_time)) -ge 25 ] || fail "node b's clock is not ahead: a $a_time, b $b_time"

[ "$(on "$a" SET "$key-a" written-on-a EX 20)" = OK ] || fail "SET on a"
[ "$(on "$b" GET "$key-a")" = written-on-a ] || fail "an entry of 20 s written on a is not served on b"
ttl=$(on "$b" TTL "$key-a")
[[ "$ttl" =~ ^[0-9]+$ ]] && [ "$ttl" -ge 1 ] && [ "$ttl" -le 20 ] || fail "its TTL on b is '$ttl', not 1..20"

[ "$(on "$b" SET "$key-b" written-on-b EX 60)" = OK ] || fail "SET on b"
ttl=$(on "$a" TTL "$key-b")
[[ "$ttl" =~ ^[0-9]+$ ]] && [ "$ttl" -ge 1 ] && [ "$ttl" -le 60 ] || fail "an entry of 60 s written on b has the TTL '$ttl' on a"
for p in "${pids[@]}"; do kill -TERM "$p"; wait "$p" || fail "a node did not exit 0 on SIGTERM"; done
pids=()
echo PASS

#!/usr/bin/env bash
# examples/deployments/two-nodes: two real `strata serve` processes on one PostgreSQL. A write on
# one node is read on the other; a second write replaces the copy the other node's predictive layer
# kept (LISTEN/NOTIFY); a delete on either reaches both. Usage: two_nodes_share_postgres.sh STRATA SOURCE_DIR
set -uo pipefail
strata=$1; src=$2
. "$(dirname "$0")/two_nodes_session.sh"
command -v curl >/dev/null || { echo "curl not found: scripts/setup installs it"; exit 1; }
start a; start b
a=$(cat "$dir/a.address"); b=$(cat "$dir/b.address")
key="e2e-two-nodes-$RANDOM$RANDOM"

# value_on ADDRESS: the value of $key there, "-" when it is not found (404), or what else was
# answered (an error's body read as "not found" let a node that failed pass for one that dropped it).
value_on() {
  local out code
  out=$(curl -sS -w '\n%{http_code}' "http://$1/v1/cache/$key") || { echo "(curl failed)"; return; }
  code=${out##*$'\n'}
  case $code in
    200) sed -n 's/.*"value":"\([^"]*\)".*/\1/p' <<<"${out%$'\n'*}" ;;
    404) echo "-" ;;
    *) echo "HTTP $code: ${out%$'\n'*}" ;;
  esac
}
# eventually ADDRESS VALUE: the value there becomes VALUE within 20 s (at once, but for a loaded machine).
eventually() {
  for _ in $(seq 400); do [ "$(value_on "$1")" = "$2" ] && return 0; sleep 0.05; done
  fail "the value of $key on $1 is '$(value_on "$1")', not '$2', after 20 s"
}

curl -sS -f -X PUT "http://$a/v1/cache/$key" -d '{"value": "first"}' || fail "put on node a"
eventually "$b" first          # read from the shared global layer, promoted into b's predictive layer
curl -sS -f -X PUT "http://$a/v1/cache/$key" -d '{"value": "second"}' || fail "second put on node a"
eventually "$b" second         # b's predictive copy was dropped by a's NOTIFY
# The global layer's own commands over HTTP: a rejection made on a drops b's copy too.
entry=$(curl -sS -X POST "http://$b/v1/layers/global/commands/entry" -d "{\"key\": \"$key\"}") || fail "entry on node b"
grep -qF '"state":"unverified"' <<<"$entry" || fail "entry command: $entry"
rejected=$(curl -sS -X POST "http://$a/v1/layers/global/commands/reject" -d "{\"key\": \"$key\"}") || fail "reject on a"
grep -qF '"state":"rejected"' <<<"$rejected" || fail "reject command: $rejected"
eventually "$b" -              # a rejected entry is never served, and b dropped its copy
code=$(curl -sS -o "$dir/unknown" -w '%{http_code}' -X POST "http://$a/v1/layers/global/commands/colour" -d '{}')
[ "$code" = 400 ] || fail "an unknown command answered $code: $(cat "$dir/unknown")"
curl -sS -f -X PUT "http://$a/v1/cache/$key" -d '{"value": "third"}' || fail "third put on node a"
curl -sS -f -X DELETE "http://$b/v1/cache/$key" >/dev/null || fail "delete on node b"
eventually "$a" -              # gone from a's predictive layer and from the shared table
for p in "${pids[@]}"; do kill -TERM "$p"; wait "$p" || fail "a node did not exit 0 on SIGTERM"; done
pids=()
echo PASS

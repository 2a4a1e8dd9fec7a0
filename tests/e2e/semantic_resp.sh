#!/usr/bin/env bash
# The semantic and vector commands of `strata serve`'s Redis protocol, end to end: the real
# binary with the semantic and vector layers and the lexical_hash embedder, spoken to with
# redis-cli: SEMANTIC.SET/GET/DEL, VECTOR.ADD/SEARCH/DEL, namespaces (SELECT and NS), TTL, tags,
# FP32 blobs, pipelining, and the errors that name the argument.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need redis-cli redis-tools

cat >"$dir/deployment.yaml" <<'YAML'
layers:
  - {name: hot, plugin: predictive}
  - {name: meaning, plugin: semantic, write: around, promote: false, embedder: lexical,
     config: {index: flat, expiry_interval: 50ms}}
  - {name: vectors, plugin: vector, write: around, promote: false, embedder: lexical, config: {index: flat}}
embedders:
  - {name: lexical, plugin: lexical_hash}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/deployment.yaml"
# With its stderr: a closed or refused connection prints nothing on stdout, which read as a nil.
cli() { redis-cli -p "$port" "$@" 2>&1; }
# starts WHAT PREFIX ACTUAL: redis-cli prints an error reply as its text, "ERR ...".
starts() { case "$3" in "$2"*) ;; *) fail "$1: expected a reply starting '$2', got '$3'";; esac; }

# SEMANTIC.SET then a paraphrase hits, an unrelated question misses (nil).
id=$(cli SEMANTIC.SET "How do I reset my password?" "Open Settings, then Security." TAGS 1 faq META '{"doc":7}')
[[ "$id" =~ ^[0-9]+$ ]] || fail "SEMANTIC.SET: expected an id, got '$id'"
hit=$(cli SEMANTIC.GET "how can I reset my password")
expect "paraphrase: answer" "Open Settings, then Security." "$(sed -n 1p <<<"$hit")"
[[ "$(sed -n 2p <<<"$hit")" =~ ^0\.[89][0-9]*$|^1\.0+$ ]] || fail "paraphrase: score '$(sed -n 2p <<<"$hit")'"
expect "paraphrase: id" "$id" "$(sed -n 3p <<<"$hit")"
expect "unrelated question" "" "$(cli SEMANTIC.GET "What is the capital city of Australia?")"
expect "THRESHOLD -1 serves it" "Open Settings, then Security." \
  "$(cli SEMANTIC.GET "What is the capital city of Australia?" THRESHOLD -1 | sed -n 1p)"

# Namespaces: the SELECTed one, or NS; never crossed.
expect "another namespace (NS)" "" "$(cli SEMANTIC.GET "How do I reset my password?" NS tenant2)"
expect "another namespace (SELECT)" "" "$(cli -n 3 SEMANTIC.GET "How do I reset my password?")"
id2=$(cli -n 3 SEMANTIC.SET "How do I reset my password?" "tenant 3's answer")
expect "SELECT 3 sees its own" "tenant 3's answer" "$(cli SEMANTIC.GET "How do I reset my password?" NS db3 | sed -n 1p)"
expect "default still sees its own" "Open Settings, then Security." \
  "$(cli SEMANTIC.GET "How do I reset my password?" | sed -n 1p)"

# SEMANTIC.DEL: 1, then 0; the entry is gone.
expect "SEMANTIC.DEL in another namespace" "0" "$(cli SEMANTIC.DEL "$id" NS tenant2)"
expect "SEMANTIC.DEL" "1" "$(cli SEMANTIC.DEL "$id")"
expect "SEMANTIC.DEL again" "0" "$(cli SEMANTIC.DEL "$id")"
expect "after SEMANTIC.DEL" "" "$(cli SEMANTIC.GET "How do I reset my password?")"
expect "db3's entry lives on" "1" "$(cli -n 3 SEMANTIC.DEL "$id2")"

# TTL (PX): served, then gone. Two seconds: a loaded machine (ASan, two jobs) has taken more
# than 200 ms between two redis-cli calls.
cli SEMANTIC.SET "Is the office open on Sunday?" "No." PX 2000 >/dev/null
expect "before the TTL" "No." "$(cli SEMANTIC.GET "Is the office open on Sunday?" | sed -n 1p)"
sleep 2.5
expect "after the TTL" "" "$(cli SEMANTIC.GET "Is the office open on Sunday?")"

# Pipelined: a SET then a GET of the same connection sees the SET; replies in order.
out=$(printf 'SEMANTIC.SET "where is the station" "two blocks north"\nSEMANTIC.GET "where is the station"\nPING\n' | cli)
expect "pipelined SET, GET, PING" "two blocks north" "$(sed -n 2p <<<"$out")"
expect "pipelined PING last" "PONG" "$(sed -n 5p <<<"$out")"

# VECTOR.ADD: comma-separated, FP32 blob, TEXT; VECTOR.SEARCH with K, TAGS, NS.
east=$(cli VECTOR.ADD 1,0,0 MODEL tiny META east TAGS 1 compass)
expect "VECTOR.ADD with ID" "900" "$(cli VECTOR.ADD 0,0,1 MODEL tiny ID 900 META up)"
north=$(printf '\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x00' | cli -x VECTOR.ADD FP32)
[[ "$north" =~ ^[0-9]+$ ]] || fail "VECTOR.ADD FP32: expected an id, got '$north'"
# The blob went in under the model "host": a search in model "host" finds it, in "tiny" never.
expect "FP32 vector under model host" "$north" "$(cli VECTOR.SEARCH 0,1,0 K 1 | sed -n 1p)"
res=$(cli VECTOR.SEARCH 1,0.1,0 MODEL tiny K 2)
expect "search: best id" "$east" "$(sed -n 1p <<<"$res")"
expect "search: best metadata" "east" "$(sed -n 3p <<<"$res")"
expect "search: K 2" "6" "$(wc -l <<<"$res" | tr -d ' ')"
tagged=$(cli VECTOR.SEARCH 0,0,1 MODEL tiny K 5 TAGS 1 compass)
expect "TAGS keeps the tagged entry only" "1" "$(grep -cx "$east" <<<"$tagged")"
grep -qx 900 <<<"$tagged" && fail "TAGS let entry 900 through: $tagged"
expect "another namespace" "" "$(cli VECTOR.SEARCH 1,0,0 MODEL tiny NS elsewhere)"
cli VECTOR.ADD TEXT "solar panels on the roof" META energy NS docs >/dev/null
expect "TEXT is embedded" "energy" "$(cli VECTOR.SEARCH TEXT "roof solar panels" K 1 NS docs | sed -n 3p)"
expect "VECTOR.DEL" "1" "$(cli VECTOR.DEL 900)"
expect "VECTOR.DEL again" "0" "$(cli VECTOR.DEL 900)"
after_del=$(cli VECTOR.SEARCH 0,0,1 MODEL tiny K 10)
expect "a search after VECTOR.DEL finds the others" "1" "$(grep -cx "$east" <<<"$after_del")"
grep -qx 900 <<<"$after_del" && fail "entry 900 is still found after VECTOR.DEL: $after_del"

# Errors name the argument; the connection goes on.
starts "wrong dimension" "ERR strata: invalid:" "$(cli VECTOR.ADD 1,0 MODEL tiny)"
starts "an empty tag" "ERR TAGS: tag 2 of 2 is empty" "$(cli VECTOR.ADD 1,0,0 MODEL tiny TAGS 2 compass "")"
starts "not a number" "ERR expected TEXT t, FP32 blob, or a vector of comma-separated numbers; 'x'" "$(cli VECTOR.SEARCH 1,x)"
starts "beyond a float" "ERR expected numbers within the range of a 32-bit float; '1e39' is not" "$(cli VECTOR.SEARCH 1e39,0,0 MODEL tiny)"
starts "beyond a double" "ERR expected numbers within the range of a 32-bit float; '1e400' is not" "$(cli VECTOR.SEARCH 1e400,0,0 MODEL tiny)"
# Read as the HTTP API reads JSON: a number below a float's least, or a double's, rounds to 0
# (a float's own parse refused it as "not a number", and a double's the second).
[[ "$(cli VECTOR.ADD 1e-50,1,1 MODEL tiny)" =~ ^[0-9]+$ ]] || fail "VECTOR.ADD 1e-50,1,1 was refused"
[[ "$(cli VECTOR.ADD 1e-400,1,2 MODEL tiny)" =~ ^[0-9]+$ ]] || fail "VECTOR.ADD 1e-400,1,2 was refused"
starts "K 0" "ERR K expects" "$(cli VECTOR.SEARCH 1,0,0 K 0)"
starts "K 05 (a leading zero: not a number to Redis)" "ERR K expects" "$(cli VECTOR.SEARCH 1,0,0 K 05)"
starts "THRESHOLD" "ERR THRESHOLD expects" "$(cli SEMANTIC.GET q THRESHOLD high)"
starts "unknown option" "ERR syntax error: unknown option 'EX'; SEMANTIC.SET takes TTL, PX, TAGS, META, NS" \
  "$(cli SEMANTIC.SET q a EX 5)"
starts "TAGS count" "ERR TAGS expects" "$(cli SEMANTIC.SET q a TAGS 4 x)"
starts "FP32 length" "ERR FP32 expects" "$(printf 'abc' | cli -x VECTOR.ADD FP32)"
starts "SEMANTIC.DEL id" "ERR the id must be" "$(cli SEMANTIC.DEL abc)"
starts "arity" "ERR wrong number of arguments for 'semantic.set'" "$(cli SEMANTIC.SET q)"
expect "still serving" "PONG" "$(cli PING)"

stop_resp
echo "PASS"

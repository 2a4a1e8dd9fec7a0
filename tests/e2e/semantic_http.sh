#!/usr/bin/env bash
# The semantic and vector endpoints of `strata serve`, end to end: the real binary with the
# semantic and vector layers and the lexical_hash embedder (real .so plugins), on a port the
# kernel picks, spoken to with curl. Then a deployment without those layers: 501.
# Usage: semantic_http.sh STRATA
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_http.sh"
need curl curl

export STRATA_E2E_TOKEN="e2e-$RANDOM-token"
cat >"$dir/deployment.yaml" <<'YAML'
layers:
  - {name: meaning, plugin: semantic, write: around, promote: false, embedder: lexical,
     config: {index: flat, expiry_interval: 50ms}}
  - {name: vectors, plugin: vector, write: around, promote: false, embedder: lexical, config: {index: flat}}
embedders:
  - {name: lexical, plugin: lexical_hash}
server:
  http: {address: "127.0.0.1:0", max_body: 16KiB, token: "${STRATA_E2E_TOKEN}"}
  resp: {enabled: false}
YAML
start_serve "$dir/deployment.yaml"

# call METHOD PATH [BODY]: sets $code and $body.
call() {
  local method=$1 path=$2; shift 2
  local out
  out=$(curl -sS -X "$method" -H "Authorization: Bearer $STRATA_E2E_TOKEN" -H 'Content-Type: application/json' \
        -w '\n%{http_code}' ${1:+--data-binary "$1"} "http://$address$path") || fail "curl $method $path failed"
  body=${out%$'\n'*}
  code=${out##*$'\n'}
}
# expect CODE [TEXT...]: the last call answered CODE with a body containing each TEXT.
expect() {
  local want=$1; shift
  [ "$code" = "$want" ] || fail "expected HTTP $want, got $code: $body"
  for text in "$@"; do
    grep -qF -- "$text" <<<"$body" || fail "HTTP $code body lacks '$text': $body"
  done
}
id_of() { sed -n 's/.*"id":\([0-9]*\).*/\1/p' <<<"$body"; }

# ---- semantic: store, then a paraphrase hits and an unrelated question misses ----
call POST /v1/semantic '{"query": "How do I reset my password?", "answer": "Open Settings, then Security.", "metadata": {"doc": 7}, "tags": ["faq"], "ns": "acme"}'
expect 201 '"layer":"meaning"'
faq=$(id_of); [ -n "$faq" ] || fail "no id in $body"
call POST /v1/semantic/lookup '{"text": "how can I reset my password", "ns": "acme"}'
expect 200 '"hit":true' "\"id\":$faq" '"answer":"Open Settings, then Security."' '"metadata":"{\"doc\":7}"' '"tags":["faq"]'
call POST /v1/semantic/lookup '{"text": "What is the capital city of Australia?", "ns": "acme"}'
expect 200 '"hit":false' '"rejected_by":"threshold"' '"best_score":'
# A namespace is never crossed: the same question in another tenant misses, with no candidate.
call POST '/v1/semantic/lookup?ns=other' '{"text": "How do I reset my password?"}'
expect 200 '"hit":false' '"best_score":null' '"rejected_by":null'
# A threshold of the request: the unrelated question is served at -1.
call POST /v1/semantic/lookup '{"text": "What is the capital city of Australia?", "ns": "acme", "threshold": -1}'
expect 200 '"hit":true'
# Host vectors, with their model: a model the namespace never saw is a miss, not a comparison.
call POST /v1/semantic '{"vector": [1, 0, 0], "model": "tiny", "answer": "x-axis", "ns": "acme"}'
expect 201
call POST /v1/semantic/lookup '{"vector": [0.99, 0.1, 0], "model": "tiny", "ns": "acme"}'
expect 200 '"hit":true' '"answer":"x-axis"' '"model":"tiny"'
call POST /v1/semantic/lookup '{"vector": [1, 0], "model": "tiny", "ns": "acme"}'
expect 400 '"error":"semantic lookup: ' 'dimension' '"field":"vector"'
call POST /v1/semantic/lookup '{"vector": [1, 0, 0], "model": "other", "ns": "acme"}'
expect 200 '"hit":false'

# Update and delete by id.
call PATCH "/v1/semantic/$faq?ns=acme" '{"answer": "Use the reset link.", "tags": []}'
expect 200 "{\"updated\":$faq}"
call POST /v1/semantic/lookup '{"text": "How do I reset my password?", "ns": "acme"}'
expect 200 '"answer":"Use the reset link."' '"tags":[]'
call PATCH "/v1/semantic/$faq" '{"answer": "wrong tenant"}'
expect 404 "no semantic entry $faq in namespace 'default'"
call DELETE "/v1/semantic/$faq?ns=acme"
expect 200 "{\"deleted\":$faq}"
call DELETE "/v1/semantic/$faq?ns=acme"
expect 404
call POST /v1/semantic/lookup '{"text": "How do I reset my password?", "ns": "acme"}'
expect 200 '"hit":false'

# TTL: gone after it passes. Two seconds: a loaded machine (ASan, two jobs) has taken more than
# 200 ms between two curl calls.
call POST /v1/semantic '{"query": "Is the office open on Sunday?", "answer": "No.", "ttl": 2000}'
expect 201
call POST /v1/semantic/lookup '{"text": "Is the office open on Sunday?"}'
expect 200 '"hit":true'
sleep 2.5
call POST /v1/semantic/lookup '{"text": "Is the office open on Sunday?"}'
expect 200 '"hit":false'

# ---- vectors: add, batch, search with k and tags, update, delete ----
call POST /v1/vectors '{"vector": [1, 0, 0], "model": "tiny", "metadata": "east", "tags": ["compass"]}'
expect 201 '"layer":"vectors"'
east=$(id_of)
call POST /v1/vectors/batch '{"items": [{"vector": [0, 1, 0], "model": "tiny", "metadata": "north", "tags": ["compass"]},
                                        {"vector": [0.9, 0.1, 0], "model": "tiny", "metadata": "east-ish"},
                                        {"id": 900, "vector": [0, 0, 1], "model": "tiny", "metadata": "up"}]}'
expect 201 '"ids":[' ',900]'
# An id that is taken is refused at the id (the answer named no field).
call POST /v1/vectors '{"id": 900, "vector": [1, 0, 0], "model": "tiny"}'
expect 400 '"field":"id"' 'id 900 is taken'
call POST /v1/vectors/batch '{"items": [{"vector": [0, 1, 0], "model": "tiny"}, {"id": 900, "vector": [1, 0, 0], "model": "tiny"}]}'
expect 400 '"field":"items[1].id"' 'id 900 is taken'
call POST /v1/vectors/search '{"vector": [1, 0, 0], "model": "tiny", "k": 2}'
expect 200 "{\"hits\":[{\"id\":$east,\"score\":1.0,\"metadata\":\"east\",\"tags\":[\"compass\"]},{\"id\":" '"metadata":"east-ish"'
[ "$(grep -o '"id":' <<<"$body" | wc -l)" = 2 ] || fail "k=2 gave another count of hits: $body"
call POST /v1/vectors/search '{"vector": [0, 0.2, 1], "model": "tiny", "k": 10, "tags": ["compass"]}'
expect 200 '"metadata":"north"'
grep -qF '"up"' <<<"$body" && fail "the tag filter let an untagged entry through: $body"
call POST /v1/vectors/search/batch '{"queries": [{"vector": [0, 0, 1], "model": "tiny", "k": 1}, {"vector": [0, 1, 0], "model": "tiny", "k": 1}]}'
expect 200 '{"results":[{"hits":[{"id":900,' '"metadata":"north"'
call POST '/v1/vectors/search?ns=elsewhere' '{"vector": [1, 0, 0], "model": "tiny"}'
expect 200 '{"hits":[]'
call PUT /v1/vectors/900 '{"vector": [-1, 0, 0], "model": "tiny", "metadata": "west"}'
expect 200 '{"updated":900}'
call POST /v1/vectors/search '{"vector": [-1, 0, 0], "model": "tiny", "k": 1}'
expect 200 '"id":900,"score":1.0,"metadata":"west"'
call DELETE /v1/vectors/900
expect 200 '{"deleted":900}'
call DELETE /v1/vectors/900
expect 404 "no vector entry 900 in namespace 'default'"
call PUT /v1/vectors/900 '{"vector": [1, 0, 0], "model": "tiny"}'
expect 404
# Texts are embedded by the layer's embedder.
call POST /v1/vectors '{"text": "solar panels on the roof", "metadata": "energy", "ns": "docs"}'
expect 201
call POST /v1/vectors/search '{"text": "roof solar panels", "k": 1, "ns": "docs"}'
expect 200 '"metadata":"energy"'

# ---- errors name the field or the reason ----
call POST /v1/vectors '{"vector": [1, 0], "model": "tiny"}'
expect 400 '"error":"vector add: ' 'dimension' '"field":"vector"'
call POST /v1/vectors/batch '{"items": [{"vector": [1, 0, 0], "model": "tiny"}, {"vector": [1, 0], "model": "tiny"}]}'
expect 400 'nothing was added' '"field":"items[1].vector"'
call POST /v1/vectors/batch '{"items": [{"vector": [1, 0], "model": "tiny"}]}'
expect 400 'nothing was added' '"field":"items[0].vector"'
call POST /v1/vectors/search/batch '{"queries": [{"vector": [1, 0, 0], "model": "tiny"}, {"vector": [1, 0], "model": "tiny"}]}'
expect 400 'vector batch search' '"field":"queries[1].vector"'
call POST /v1/vectors/search/batch '{"queries": [{"vector": [1, 0], "model": "tiny"}]}'
expect 400 'vector batch search' '"field":"queries[0].vector"'
call POST /v1/vectors/search '{"vector": [1, 0, 0], "model": "tiny", "k": 0}'
expect 400 '"field":"k"'
call POST /v1/vectors/search '{"vector": [1, 0, 0], "model": "tiny", "k": 5000}' # the layer's max_k: 1000
expect 400 '"field":"k"' 'k 5000 is more than max_k 1000'
call POST /v1/vectors/search/batch '{"queries": [{"vector": [1, 0, 0], "model": "tiny"}, {"vector": [1, 0, 0], "model": "tiny", "k": 5000}]}'
expect 400 '"field":"queries[1].k"'
eleven=$(printf '{"vector": [1, 0, 0], "model": "tiny", "k": 1000},%.0s' $(seq 11))
call POST /v1/vectors/search/batch "{\"queries\": [${eleven%,}]}" # the layer's max_batch_hits: 10000
expect 400 '"field":"queries"' 'the batch asks for 11000 hits in all'
call POST /v1/vectors '{"vector": [1, 0, 0]}'
expect 400 '"field":"model"'
call POST /v1/vectors '{"id": 9007199254740993, "text": "x"}'
expect 400 '"field":"id"'
call POST /v1/vectors/batch '{"items": [{"text": "a"}, {"text": 5}]}'
expect 400 '"field":"items[1].text"'
call POST /v1/semantic '{"query": "q"}'
expect 400 '"field":"answer"'
call POST /v1/vectors/search '{"text": "", "k": 1}'
expect 400 '"field":"text"' 'expected a non-empty string'
call POST /v1/vectors '{"text": "x", "vector": [1, 0, 0], "model": "tiny"}'
expect 400 '"field":"text"' 'not both'
call POST /v1/vectors/search '{"text": "x", "vector": [1, 0, 0], "model": "tiny"}'
expect 400 '"field":"text"' 'not both'
# A semantic request may give both: the text is its key, the host's vector is compared.
call POST /v1/semantic '{"query": "both given", "vector": [0, 1, 0], "model": "mine", "answer": "b", "ns": "both"}'
expect 201
call POST /v1/semantic/lookup '{"text": "both given", "vector": [0, 1, 0], "model": "mine", "ns": "both"}'
expect 200 '"hit":true' '"query":"both given"'
call POST /v1/semantic/lookup '{"text": "q",'
expect 400 '"error":"malformed JSON"'
# Deeper than 64 levels: its text, had it been kept, was made by a recursion per level (60 000
# levels overflowed the server's stack).
deep=$(printf '%0.s[' $(seq 100))$(printf '%0.s]' $(seq 100))
call POST /v1/vectors "{\"text\": \"a\", \"metadata\": $deep}"
expect 400 '"error":"malformed JSON"' 'nested deeper than 64 levels'
# The bound exactly: the body's object and 63 arrays are 64 levels, one more is 65.
nested() { printf '%0.s[' $(seq "$1"); printf '%0.s]' $(seq "$1"); }
call POST /v1/vectors "{\"text\": \"a\", \"metadata\": $(nested 64)}"
expect 400 '"error":"malformed JSON"' 'nested deeper than 64 levels'
call POST /v1/vectors "{\"text\": \"a\", \"metadata\": $(nested 63)}"
expect 201 '"id":'
call DELETE /v1/semantic/abc
expect 400 '"field":"id"'
call DELETE /v1/vectors/0
expect 400 '"field":"id"'
# The canonical decimal form only: a leading zero named the id without it.
call PATCH /v1/semantic/01 '{"answer": "x"}'
expect 400 '"field":"id"' "got '01'"
call DELETE /v1/vectors/00103
expect 400 '"field":"id"' "got '00103'"
call GET /v1/semantic/lookup
expect 405 'allowed: POST'
call PATCH /v1/vectors/3 '{"text": "x"}'
expect 405 'allowed: PUT, DELETE'
call POST /v1/vectors "{\"text\": \"$(head -c 20000 /dev/zero | tr '\0' a)\"}"
expect 413 'max_body'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data '{"text": "q"}' "http://$address/v1/semantic/lookup")
[ "$code" = 401 ] || fail "no token: expected 401, got $code"

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM"

# ---- a deployment without a semantic or vector layer: 501, naming the operation; and without
# metrics: /metrics says so rather than answering an empty 200 ----
cat >"$dir/plain.yaml" <<'YAML'
runtime: {metrics: false}
layers:
  - {name: edge_cache, plugin: predictive}
server:
  http: {address: "127.0.0.1:0", token: "${STRATA_E2E_TOKEN}"}
  resp: {enabled: false}
YAML
# The first server's log goes, or start_serve could read its address before the new one starts.
rm -f "$dir/serve.log"
start_serve "$dir/plain.yaml"
call POST /v1/semantic/lookup '{"text": "q"}'
expect 501 'no layer of this deployment offers semantic operations'
call POST /v1/vectors/search '{"text": "q"}'
expect 501 'no layer of this deployment offers vector operations'
call GET /metrics
expect 404 'metrics are off in this deployment (runtime.metrics: false)'
# Nor figures of zero, which would look like a deployment that served nothing.
call GET /v1/stats
expect 404 'metrics are off in this deployment (runtime.metrics: false)'
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM"

# ---- a batch answered past the layer's deadline is not said to be lost: the layer still adds it
# (the answer said "nothing was added", and a client that sent it again had it twice) ----
cat >"$dir/late.yaml" <<'YAML'
layers:
  - {name: vectors, plugin: vector, write: around, promote: false, embedder: lexical, deadline: 1ms,
     config: {index: flat}}
embedders:
  - {name: lexical, plugin: lexical_hash}
server:
  http: {address: "127.0.0.1:0", max_body: 4MiB, token: "${STRATA_E2E_TOKEN}"}
  resp: {enabled: false}
YAML
rm -f "$dir/serve.log"
start_serve "$dir/late.yaml"
{ printf '{"items": ['
  seq 1 20000 | sed 's/.*/{"text": "entry number & of a batch too large for a millisecond"}/' | paste -sd, -
  printf ']}'; } >"$dir/batch.json"
call POST /v1/vectors/batch "@$dir/batch.json" # curl reads the body from the file
expect 504 'vector batch add (answered late: the layer may still add all of it)'
grep -qF 'nothing was added' <<<"$body" && fail "a late batch was said to be lost: $body"
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM"
echo "PASS"

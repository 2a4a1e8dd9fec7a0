#!/usr/bin/env bash
# `strata serve`'s HTTP API, end to end: the real binary on a port the kernel picks, spoken to
# with curl. Usage: http_api.sh STRATA PROMTOOL
set -uo pipefail
strata=$1; promtool=$2
[ -x "$promtool" ] || { echo "no promtool ('$promtool'): scripts/setup installs the package prometheus"; exit 1; }
. "$(dirname "$0")/serve_http.sh"
need curl curl
need nc netcat-openbsd
need python3 python3

export STRATA_E2E_TOKEN="e2e-$RANDOM-token" STRATA_E2E_DIARY="$dir/diary.sqlite3"
cat >"$dir/deployment.yaml" <<'YAML'
runtime: {stats_interval: 50ms}
layers:
  - {name: edge_cache, plugin: predictive}
  - {name: diary, plugin: diary, config: {backend: sqlite, sqlite_path: "${STRATA_E2E_DIARY}"}}
server:
  http: {address: "127.0.0.1:0", max_body: 4KiB, token: "${STRATA_E2E_TOKEN}"}
  resp: {address: "127.0.0.1:0"}
YAML
start_serve "$dir/deployment.yaml"
wait_resp_port
[[ "$address" == 127.0.0.1:* ]] || fail "bound to '$address', not loopback"

# A second server on the same port is refused (it must not share the first one's connections).
sed "/http:/s/127.0.0.1:0/$address/" "$dir/deployment.yaml" >"$dir/second.yaml"
"$strata" serve --config "$dir/second.yaml" >"$dir/second.log" 2>&1 &
second=$!
for _ in $(seq 100); do kill -0 "$second" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$second" 2>/dev/null; then kill "$second"; fail "a second server listens on $address"; fi
wait "$second"; rc=$?
[ "$rc" = 1 ] || fail "the second server exited $rc, not 1"
grep -q "second.yaml:6:19: server.http.address: cannot listen on $address: Address already in use" "$dir/second.log" ||
  fail "no clear refusal of the taken port: $(cat "$dir/second.log")"

# call METHOD PATH [curl options]: sets $code, $body and $type (the Content-Type), with the token.
call() {
  local method=$1 path=$2; shift 2
  local out
  out=$(curl -sS -X "$method" -H "Authorization: Bearer $STRATA_E2E_TOKEN" -w '\n%{http_code} %{content_type}' \
        "$@" "http://$address$path") || fail "curl $method $path failed"
  body=${out%$'\n'*}
  local tail=${out##*$'\n'}
  code=${tail%% *}; type=${tail#* }
}
# expect CODE [TEXT...]: the last call answered CODE with a body containing each TEXT.
expect() {
  local want=$1; shift
  [ "$code" = "$want" ] || fail "expected HTTP $want, got $code: $body"
  for text in "$@"; do
    grep -qF -- "$text" <<<"$body" || fail "HTTP $code body lacks '$text': $body"
  done
}

# Put, get and delete, with a namespace and a TTL.
call PUT '/v1/cache/greeting?ns=e2e' -d '{"value": "hello", "ttl": "30s", "tags": ["t1"]}'
expect 204
call GET '/v1/cache/greeting?ns=e2e'
expect 200 '"key":"greeting"' '"value":"hello"' '"layer":"edge_cache"'
[[ "$type" == application/json* ]] || fail "content type '$type' is not JSON"
# A Range is ignored: every answer is one whole JSON document (the library cut the body to the
# range and kept the 200). One it cannot parse is refused, saying so; a HEAD offers no ranges.
# (In a namespace of their own: the diary's counts of e2e are checked below.)
call PUT '/v1/cache/ranged?ns=ranges' -d '{"value": "0123456789"}'
expect 204
call GET '/v1/cache/ranged?ns=ranges' -H 'Range: bytes=0-9'
expect 200 '"key":"ranged"' '"value":"0123456789"' '"layer":"edge_cache"'
call GET '/v1/cache/ranged?ns=ranges' -H 'Range: bytes=zz'
expect 416 "the Range header 'bytes=zz' could not be read"
call GET '/v1/cache/ranged?ns=ranges' -H 'Range: bytes=0-1,5-2' # its first range parsed, its second not
expect 416 "the Range header 'bytes=0-1,5-2' could not be read"
call PUT '/v1/cache/ranged?ns=ranges' -H 'Range: bytes=0-3' -d "$(head -c 5000 /dev/zero | tr '\0' x)"
expect 413 '{"error":"the request body is larger than server.http.max_body (4096 bytes)","field":null}'
headers=$(curl -sS -I -H "Authorization: Bearer $STRATA_E2E_TOKEN" "http://$address/v1/cache/ranged?ns=ranges" | tr -d '\r')
grep -qx 'Accept-Ranges: none' <<<"$headers" || fail "a HEAD's answer offers ranges: $headers"
call GET '/v1/cache/greeting'
expect 404 '"error":' "namespace 'default'"
call DELETE '/v1/cache/greeting?ns=e2e'
expect 200 '"deleted":"greeting"'
call GET '/v1/cache/greeting?ns=e2e'
expect 404
call DELETE '/v1/cache/greeting?ns=e2e'
expect 404
call GET '/v1/cache/never-written'
expect 404 '"field":null'
# Two seconds: a loaded machine has taken more than 300 ms between two curl calls.
call PUT '/v1/cache/brief' -d '{"value": "soon gone", "ttl": 2000, "ns": "e2e"}'
expect 204
call GET '/v1/cache/brief?ns=e2e'
expect 200 '"value":"soon gone"'
sleep 2.5
call GET '/v1/cache/brief?ns=e2e'
expect 404

# A query parameter a route does not take, or one given twice, is refused: a misspelt ?ns= once
# deleted the default namespace's entry.
call PUT '/v1/cache/shared' -d '{"value": "default tenant"}'
expect 204
call DELETE '/v1/cache/shared?namespace=e2e'
expect 400 '"field":"namespace"' "unknown query parameter 'namespace'; allowed: ns"
call GET '/v1/cache/shared?ns=e2e&ns=other'
expect 400 "the query parameter 'ns' is given more than once"
call GET '/v1/cache/shared?ns=e2e&ns=e2e'
expect 400 "the query parameter 'ns' is given more than once"
call GET '/v1/cache/shared'
expect 200 '"value":"default tenant"'
call GET '/v1/health?verbose=1'
expect 400 "unknown query parameter 'verbose'; this path takes none"

# Invalidation by tag removes the entries of that tag, in that namespace only.
for key in a b; do
  call PUT "/v1/cache/$key" -d '{"value": "x", "tags": ["group"], "ns": "e2e"}'
  expect 204
done
call PUT '/v1/cache/a' -d '{"value": "other tenant", "tags": ["group"]}'
expect 204
call POST '/v1/invalidate' -d '{"tag": "group", "ns": "e2e"}'
expect 200 '{"removed":2}'
call GET '/v1/cache/a?ns=e2e'
expect 404
call GET '/v1/cache/a'
expect 200 '"value":"other tenant"'

# Stats (sampled every 50 ms), health, metrics, alerts, dashboard.
sleep 0.2
call GET '/v1/stats'
expect 200 '"window":"minute"' '"overall":{"name":"all"' '"name":"edge_cache"' '"hit_rate":'
call GET '/v1/stats?window=hour'
expect 200 '"window":"hour"'
call GET '/v1/stats?window=week'
expect 400 '"field":"window"'
call GET '/v1/health'
expect 200 '"overall":"healthy"' '"name":"edge_cache"'
call GET '/metrics'
expect 200 'strata_cache_requests_total{cache_layer="edge_cache"'
[[ "$type" == "text/plain; version=0.0.4"* ]] || fail "/metrics content type is '$type'"
printf '%s\n' "$body" >"$dir/metrics.txt"
"$promtool" check metrics <"$dir/metrics.txt" || fail "promtool check metrics refused /metrics"
call GET '/v1/alerts'
expect 200 '{"alerts":[]}'
call POST '/v1/alerts/no_such_rule/ack'
expect 404 "no firing alert for rule 'no_such_rule'"
call POST '/v1/alerts/no_such_rule/ack' -d '{}'
expect 404 "no firing alert for rule 'no_such_rule'"
call POST '/v1/alerts/no_such_rule/ack' -d '{"x": 1}'
expect 400 "an acknowledgement takes no fields: send no body, or {}" '"field":"x"'
call POST '/v1/alerts/no_such_rule/ack' -d '{'
expect 400 '"malformed JSON"'
call GET '/dashboard'
expect 200 '<html' 'edge_cache'
[[ "$type" == text/html* ]] || fail "/dashboard content type is '$type'"

# Refusals: JSON errors that name the field when there is one.
head -c 5000 /dev/zero | tr '\0' x >"$dir/big"
call PUT '/v1/cache/big' --data-binary "@$dir/big"
expect 413 'max_body' '"field":null'
# A chunked body has no length to check first: it is bounded while read (it was read whole).
call PUT '/v1/cache/big' -H 'Transfer-Encoding: chunked' --data-binary "@$dir/big"
expect 413 'max_body'
call PUT '/v1/cache/chunked' -H 'Transfer-Encoding: chunked' -d '{"value": "in chunks"}'
expect 204
call GET '/v1/cache/chunked'
expect 200 '"value":"in chunks"'
call DELETE '/v1/cache/chunked' -H 'Transfer-Encoding: chunked' --data-binary "@$dir/big"
expect 400 'DELETE takes no body; this one is chunked'
# A body's namespace would be ignored, and the default namespace's entry deleted.
call PUT '/v1/cache/twice' -d '{"value": "in default"}'
expect 204
call DELETE '/v1/cache/twice' -d '{"ns": "other"}'
expect 400 'DELETE takes no body (it would be ignored: give the namespace as ?ns=)'
call GET '/v1/cache/twice' -d '{"ns": "other"}'
expect 400 'GET takes no body (it would be ignored: give the namespace as ?ns=)'
call GET '/v1/cache/twice'
expect 200 '"value":"in default"'
# A value that is not UTF-8 (written over the Redis protocol) is refused, not changed: JSON
# carries text, and "\uFFFD" in its place was a different value the client could not tell.
printf '*3\r\n$3\r\nSET\r\n$5\r\nbytes\r\n$3\r\n\xff\x00\xc3\r\n' | timeout 5 nc -N 127.0.0.1 "$resp_port" >/dev/null
call GET '/v1/cache/bytes'
expect 422 '"field":"value"' "is not UTF-8 text (at byte 0)"
# A key with a line break is addressed like any other (the route's `.` did not match it).
call PUT '/v1/cache/line%0Abreak' -d '{"value": "two lines"}'
expect 204
call GET '/v1/cache/line%0Abreak'
expect 200 '"value":"two lines"'
call PUT '/v1/cache/k' -d '{"value": "v",'
expect 400 '"error":"malformed JSON"' '"field":null' '"detail":"parse error'
# A number beyond a double: malformed too (it was a 500).
call PUT '/v1/cache/k' -d '{"value": "v", "ttl": -1e999}'
expect 400 '"error":"malformed JSON"' "number overflow parsing '-1e999'"
# A length that is not a byte count: answered at once (-5 waited for a body, then said 413).
call PUT '/v1/cache/k' -H 'Content-Length: -5' -d '{"value": "v"}'
expect 400 "Content-Length '-5' is not a byte count"
call PUT '/v1/cache/k' -H 'Content-Length: abc' -d '{"value": "v"}'
expect 400 "Content-Length 'abc' is not a byte count"
call PUT '/v1/cache/k' -H 'Content-Length: 99999999999' -d '{"value": "v"}'
expect 413 'max_body'
# Two lengths, or a length and a chunked encoding, say two things of where the request ends (a
# proxy may read it by the other): refused, nothing stored. They stored "abc".
python3 - "${address%:*}" "${address##*:}" "$STRATA_E2E_TOKEN" <<'PY' || fail "a request with two lengths was taken"
import socket, sys
host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def ask(headers, body):
    conn = socket.create_connection((host, port))
    conn.settimeout(5)
    conn.sendall(b"PUT /v1/cache/two-lengths HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() +
                 b"\r\n" + headers + b"\r\n" + body)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += conn.recv(65536)
    head, _, rest = answer.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(rest) < length:
        rest += conn.recv(65536)
    conn.close()
    return head + b"\r\n\r\n" + rest
body = b'{"value": "abc"}'
# The library reads "Chunked" as chunked, and the first of two codings only.
for headers, status, why in (
        (b"Content-Length: 16\r\nContent-Length: 3\r\n", b"400", b"Content-Length is given more than once"),
        (b"Content-Length: 16\r\nTransfer-Encoding: chunked\r\n", b"400", b"a Content-Length and a Transfer-Encoding"),
        (b"Content-Length: 16\r\nTransfer-Encoding: Chunked\r\n", b"400", b"a Content-Length and a Transfer-Encoding"),
        (b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n", b"400",
         b"Transfer-Encoding is given more than once"),
        (b"Transfer-Encoding: gzip, chunked\r\n", b"501", b"'gzip, chunked' is not supported")):
    answer = ask(headers, body)
    if not answer.startswith(b"HTTP/1.1 " + status + b" ") or why not in answer:
        print("answered", answer[:400])
        sys.exit(1)
PY
call GET '/v1/cache/two-lengths'
expect 404
# A form-encoded body (curl -d's default type) is not a query: the library merges it into its
# params, where it once chose the namespace.
call PUT '/v1/cache/formed?ns=x' -d '{"value": "in x"}'
expect 204
call DELETE '/v1/cache/formed' -d 'ns=x'
expect 400 'DELETE takes no body' 
call GET '/v1/cache/formed?ns=x'
expect 200 '"value":"in x"'
call GET "/v1/cache/$(head -c 9000 /dev/zero | tr '\0' k)"
expect 414 "the request line (method, URL and version) is longer than the server reads (8190 bytes)"
# The bound exactly: "GET /v1/cache/" and " HTTP/1.1" around the key, 8190 bytes in all, then 8191.
call GET "/v1/cache/$(head -c 8167 /dev/zero | tr '\0' k)"
expect 404 "no entry for key"
call GET "/v1/cache/$(head -c 8168 /dev/zero | tr '\0' k)"
expect 414 "(8190 bytes)"
call PUT '/v1/cache/k' -d '{"value": "v", "ttl": 1.5}'
expect 400 '"field":"ttl"' 'expected a duration string like \"30s\" (at most 106481d) or an integer of milliseconds'
call PUT '/v1/cache/k' -d '{"value": "v", "colour": "red"}'
expect 400 '"field":"colour"'
call PUT '/v1/cache/k' -d '{"ttl": "1s"}'
expect 400 '"field":"value"' "missing required field 'value'"
call GET '/v1/no-such-route'
expect 404 '"error":"no route for GET /v1/no-such-route"'
# The empty key, which the Redis protocol takes, has no path: the 404 says so.
for method in GET PUT DELETE; do
  if [ "$method" = PUT ]; then call PUT '/v1/cache/' -d '{"value": "v"}'; else call "$method" '/v1/cache/?ns=e2e'; fi
  expect 404 "\"error\":\"no route for $method /v1/cache/: an empty key cannot be given in the path; the empty key is reached over the Redis protocol\""
done
call POST '/v1/stats'
expect 405 '"error":"POST is not allowed on /v1/stats'
# A layer's own commands: the diary's, with the gets above recorded.
call POST '/v1/layers/diary/commands/flush'
expect 200
call POST '/v1/layers/diary/commands/top_queries' -d '{"ns": "e2e", "limit": 1}'
expect 200 '"queries":[{"count":2,"query":"'
call POST '/v1/layers/diary/commands/top_queries' -d '{"limit": 0}'
expect 400 "command 'top_queries' of layer 'diary': 'limit' must be between 1 and 10000" '"field":"limit"'
call POST '/v1/layers/diary/commands/top_queries' -d '{"limit": 5, "colour": 1}'
expect 400 "command 'top_queries' of layer 'diary': unknown argument 'colour'" '"field":"colour"'
call POST '/v1/layers/diary/commands/top_queries' -d '[1]'
expect 400 'expected a JSON object'
call POST '/v1/layers/diary/commands/colour'
expect 400 'unknown command'
call POST '/v1/layers/attic/commands/count'
expect 404 "no layer named 'attic'"
call POST '/v1/layers/diary/commands/count?ns=e2e'
expect 400 "unknown query parameter 'ns'"
call GET '/v1/layers/diary/commands/count'
expect 405 'allowed: POST, OPTIONS'
# The 405's Allow header is OPTIONS's (it lacked OPTIONS, which every route answers).
# (Each output read whole before grep -q: under pipefail, grep's early exit could fail the pipe.)
for method in GET OPTIONS; do
  headers=$(curl -sS -o /dev/null -D - -X $method -H "Authorization: Bearer $STRATA_E2E_TOKEN" \
    "http://$address/v1/layers/diary/commands/count" | tr -d '\r')
  grep -qx 'Allow: POST, OPTIONS' <<<"$headers" || fail "$method: no 'Allow: POST, OPTIONS': $headers"
done
# No semantic or vector layer in this deployment: 501 (semantic_http.sh tests the endpoints).
call POST '/v1/semantic/lookup' -d '{"text": "q"}'
expect 501 'no layer of this deployment offers semantic operations'
call POST '/v1/vectors/search' -d '{"text": "q"}'
expect 501 'no layer of this deployment offers vector operations'

# The token: required everywhere but on /v1/health.
code=$(curl -s -o "$dir/out" -w '%{http_code}' "http://$address/v1/cache/a")
[ "$code" = 401 ] || fail "GET /v1/cache without a token: expected 401, got $code"
grep -qF '"error":' "$dir/out" || fail "the 401 has no JSON error: $(cat "$dir/out")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong" "http://$address/v1/cache/a")
[ "$code" = 401 ] || fail "GET /v1/cache with a wrong token: expected 401, got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$address/metrics")
[ "$code" = 401 ] || fail "GET /metrics without a token: expected 401, got $code"
code=$(curl -s -o "$dir/out" -w '%{http_code}' "http://$address/v1/health")
[ "$code" = 200 ] || fail "GET /v1/health without a token: expected 200, got $code"
# Without the token, the levels only: a layer's words may name its database's host.
! grep -qE '"(detail|last_error)":"[^"]' "$dir/out" || fail "GET /v1/health without a token shows details: $(cat "$dir/out")"
call GET /v1/health
expect 200 '"detail":"'
grep -qE '"detail":"[^"]' <<<"$body" || fail "GET /v1/health with the token shows no detail: $body"

# A refused DELETE body is read all the same: the connection stays in step, and the next request
# on it is answered as itself (left unread, the body, sent apart, was parsed as a request).
PYTHONPATH="$(dirname "$0")" python3 - "${address%:*}" "${address##*:}" "$STRATA_E2E_TOKEN" <<'PY' || fail "a DELETE body left the connection out of step"
import re, socket, sys, time
from raw_http import read_until_closed
host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conn = socket.create_connection((host, port))
body = b'{"ns": "other"}'
conn.sendall(b"DELETE /v1/cache/twice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() +
             b"\r\nContent-Length: %d\r\n\r\n" % len(body))
time.sleep(0.2)
conn.sendall(body)
time.sleep(0.2)
conn.sendall(b"GET /v1/cache/twice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() + b"\r\n\r\n")
time.sleep(0.5)
answers, _ = read_until_closed(conn, 2)  # kept open or closed: the answers are what is checked
statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answers)
if statuses != [b"400", b"200"]:
    print("answered", statuses, answers[:600])
    sys.exit(1)
PY

# A refused request whose body is left unread ends its connection: the body, sent apart, was read
# as a request of its own on a connection the answer said was closed (request smuggling).
PYTHONPATH="$(dirname "$0")" python3 - "${address%:*}" "${address##*:}" "$STRATA_E2E_TOKEN" <<'PY' || fail "a refused request's body was read as a request"
import re, socket, sys, time
from raw_http import read_until_closed
host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
auth = b"Authorization: Bearer " + token.encode() + b"\r\n"
inner = (b"PUT /v1/cache/smuggled HTTP/1.1\r\nHost: x\r\n" + auth +
         b"Content-Length: 20\r\n\r\n" + b'{"value": "SMUGGLED"}'[:20])
chunked_inner = b"%x\r\n" % len(inner) + inner + b"\r\n0\r\n\r\n"
cases = (
    (b"PUT /v1/cache/s", auth + b"Content-Length: 99999\r\n", inner, b"413"),
    (b"PUT /v1/cache/s", b"Content-Length: %d\r\n" % len(inner), inner, b"401"),
    (b"POST /v1/invalidate", auth + b"Transfer-Encoding : chunked\r\nContent-Length: 5\r\n", chunked_inner, b"400"),
    (b"PUT /v1/cache/s", auth + b"Authorization: Bearer other\r\nContent-Length: %d\r\n" % len(inner), inner, b"400"),
    (b"GET /v1/cache/s", auth + b"Content-Length: %d\r\n" % len(inner), inner, b"400"),
    (b"HEAD /v1/cache/s", auth + b"Content-Length: %d\r\n" % len(inner), inner, b"400"),
)
for start, headers, body, status in cases:
    conn = socket.create_connection((host, port))
    conn.sendall(start + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    time.sleep(0.3)
    try:
        conn.sendall(body)
    except OSError:
        pass  # closed already: nothing of the body was read
    try:
        answers, closed = read_until_closed(conn, 3)
    except ConnectionResetError:
        answers, closed = b"(reset)", False
    if not closed:
        print("the connection stayed open after", start, status, answers[:300])
        sys.exit(1)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answers)
    if statuses != [status]:
        print(start, headers, "answered", statuses, answers[:600])
        sys.exit(1)
PY
call GET '/v1/cache/smuggled'
expect 404

# Twenty-four connections that send nothing hold twenty-four workers, not all of them: /v1/health
# answers at once (with eight workers, or sixteen, it waited for them to be let go).
python3 - "${address%:*}" "${address##*:}" <<'PY' || fail "/v1/health was held up by idle connections"
import socket, sys, time, urllib.request
host, port = sys.argv[1], int(sys.argv[2])
idle = [socket.create_connection((host, port)) for _ in range(24)]
time.sleep(0.3)
start = time.time()
urllib.request.urlopen(f"http://{host}:{port}/v1/health", timeout=1.5).read()
print(f"/v1/health in {time.time() - start:.3f} s beside 24 idle connections")
PY

# SIGTERM: the server drains and exits 0 within a few seconds.
sigterm_serve 5
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM"
grep -q "strata: stopped" "$dir/serve.log" || fail "no 'strata: stopped' line"

# A layer command that fails keeps what the layer said besides its error (a diary's flush lost
# its written and buffered): the global layer's entry of a key it does not hold.
cat >"$dir/global.yaml" <<YAML
layers:
  - {name: shared, plugin: global, config: {backend: sqlite, sqlite_path: "$dir/global.sqlite3"}}
server:
  http: {address: "127.0.0.1:0", token: "\${STRATA_E2E_TOKEN}"}
  resp: {enabled: false}
YAML
rm -f "$dir/serve.log"
start_serve "$dir/global.yaml"
call POST '/v1/layers/shared/commands/entry' -d '{"key": "absent"}'
expect 404 "command 'entry' of layer 'shared'" '"answer":{"found":false}'
# A refused validate says the layer's reason, not what a refused write means.
call POST '/v1/layers/shared/commands/put' -d '{"key": "judged", "value": "v"}'
expect 200 '"written":true'
call POST '/v1/layers/shared/commands/validate' -d '{"key": "judged", "updated_at_us": 1}'
expect 422 "\"error\":\"command 'validate' of layer 'shared': the entry changed since updated_at_us 1 (now " \
  '"answer":{"updated":false}'
call POST '/v1/layers/shared/commands/put' -d '{"key": "judged", "value": "v", "confidence": "high"}'
expect 400 "'confidence' must be a number between 0 and 1" '"field":"confidence"'
sigterm_serve 5
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM"
echo ok

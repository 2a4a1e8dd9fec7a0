#!/usr/bin/env bash
# `strata serve`'s Redis protocol, end to end: the real binary on a port the kernel picks,
# spoken to with redis-cli and nc: every command and option, pipelining, inline commands,
# malformed frames, limits, and a clean exit on SIGTERM.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need redis-cli redis-tools
need nc netcat-openbsd

cat >"$dir/deployment.yaml" <<'YAML'
runtime: {stats_interval: 50ms}
# Deadlines well above what a loaded test machine may queue (this script is not about deadlines).
layers:
  - {name: hot, plugin: predictive, deadline: 5s}
  - {name: deep, plugin: predictive, write: through, deadline: 5s}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0", max_bulk: 1KiB, max_inline: 256, max_pipeline: 64KiB, max_clients: 20}
YAML
start_resp "$dir/deployment.yaml"
# With its stderr: a closed or refused connection prints nothing on stdout, which read as a nil.
cli() { redis-cli -p "$port" "$@" 2>&1; }

# Connection commands.
expect "PING" "PONG" "$(cli PING)"
expect "PING msg" "hello" "$(cli PING hello)"
expect "PING a b" "ERR wrong number of arguments for 'ping' command" "$(cli PING a b)"
expect "ECHO" "a b" "$(cli ECHO 'a b')"

# GET, SET and its options.
expect "GET of a missing key" "" "$(cli GET k)"
expect "SET" "OK" "$(cli SET k v1)"
expect "GET" "v1" "$(cli GET k)"
expect "SET with spaces and binary-safe value" "OK" "$(printf 'a\r\nb' | cli -x SET bin)"
expect "GET binary" "$(printf 'a\r\nb')" "$(cli --no-raw GET bin | head -c 0; cli GET bin)"
expect "SET NX on an existing key" "" "$(cli SET k v2 NX)"
expect "value after SET NX" "v1" "$(cli GET k)"
expect "SET XX on an existing key" "OK" "$(cli SET k v2 XX)"
expect "value after SET XX" "v2" "$(cli GET k)"
expect "SET XX on a missing key" "" "$(cli SET nokey v XX)"
expect "EXISTS after SET XX on a missing key" "0" "$(cli EXISTS nokey)"
expect "SET NX on a missing key" "OK" "$(cli SET fresh v NX)"
expect "SET NX XX" "ERR syntax error" "$(cli SET k v NX XX)"
expect "SET XX XX, as Redis" "OK" "$(cli SET k v2 XX XX)"
expect "SET EX PX" "ERR syntax error" "$(cli SET k v EX 10 PX 100)"
expect "SET EX given twice: the last, as Redis" "OK" "$(cli SET twice v EX 10 EX 200)"
ttl=$(cli TTL twice); [ "$ttl" -ge 180 ] && [ "$ttl" -le 200 ] || fail "TTL after SET EX 10 EX 200: got '$ttl'"
expect "SET EX 0" "ERR invalid expire time in 'set' command" "$(cli SET k v EX 0)"
expect "SET EX not a number" "ERR value is not an integer or out of range" "$(cli SET k v EX soon)"
expect "SET KEEPTTL" "ERR syntax error (strata's SET takes EX, PX, NX and XX)" "$(cli SET k v KEEPTTL)"

# TTL, PTTL, EXPIRE, PEXPIRE.
expect "SET EX" "OK" "$(cli SET t v EX 100)"
# Bounds that leave a loaded machine seconds between two commands (a CI beside other builds took
# more than one between SET EX 100 and TTL).
ttl=$(cli TTL t); [ "$ttl" -ge 80 ] && [ "$ttl" -le 100 ] || fail "TTL after SET EX 100: got '$ttl'"
# PTTL on a long expiry, the expiry itself on a short one: a loaded machine may take more than
# the short one between two commands.
expect "SET PX" "OK" "$(cli SET p v PX 60000)"
pttl=$(cli PTTL p); [ "$pttl" -gt 40000 ] && [ "$pttl" -le 60000 ] || fail "PTTL after SET PX 60000: got '$pttl'"
expect "SET PX, short" "OK" "$(cli SET short v PX 300)"
sleep 0.5
expect "GET after the PX expiry" "" "$(cli GET short)"
# An expiry of centuries, the longest taken (106481 days), keeps the value: one beyond the layers'
# clocks wrapped into the past once.
expect "SET EX of 291 years" "OK" "$(cli SET far v EX 9199958400)"
expect "GET after SET EX of 291 years" "v" "$(cli GET far)"
ttl=$(cli TTL far); [ "$ttl" -gt 9000000000 ] || fail "TTL after SET EX 9199958400: got '$ttl'"
expect "TTL of a key without expiry" "-1" "$(cli TTL k)"
expect "TTL of a missing key" "-2" "$(cli TTL missing)"
expect "EXPIRE of a missing key" "0" "$(cli EXPIRE missing 10)"
expect "EXPIRE" "1" "$(cli EXPIRE k 50)"
ttl=$(cli TTL k); [ "$ttl" -ge 30 ] && [ "$ttl" -le 50 ] || fail "TTL after EXPIRE 50: got '$ttl'"
expect "value after EXPIRE" "v2" "$(cli GET k)"
expect "PEXPIRE" "1" "$(cli PEXPIRE k 200)"
sleep 0.4
expect "GET after PEXPIRE ran out" "" "$(cli GET k)"
expect "SET" "OK" "$(cli SET gone v)"
expect "EXPIRE 0 deletes" "1" "$(cli EXPIRE gone 0)"
expect "EXISTS after EXPIRE 0" "0" "$(cli EXISTS gone)"
expect "EXPIRE not a number" "ERR value is not an integer or out of range" "$(cli EXPIRE k soon)"
# As Redis reads numbers: "-0" and a leading zero are not numbers, and a time beyond the bound
# either way is an invalid expire time (each deleted the key).
expect "SET" "OK" "$(cli SET kept v)"
for amount in -0 010 -9223372036854775808 99999999999999 9199958401; do
  out=$(printf '*3\r\n$6\r\nEXPIRE\r\n$4\r\nkept\r\n$%d\r\n%s\r\n' "${#amount}" "$amount" |
        timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r')
  case $amount in
    -0|010) expect "EXPIRE $amount" "-ERR value is not an integer or out of range" "$out" ;;
    *) expect "EXPIRE $amount" "-ERR invalid expire time in 'expire' command (strata takes up to 106481 days)" "$out" ;;
  esac
done
expect "EXISTS after refused EXPIREs" "1" "$(cli EXISTS kept)"
# The longest TTL, 106481 days (9199958400 s), is the same for every command and for HTTP; one
# beyond it is refused, not cut to what the clock holds (it was, from ~292 years up to 2^46 s).
expect "EXPIRE at the bound" "1" "$(cli EXPIRE kept 9199958400)"
expect "SET EX beyond the bound" "ERR invalid expire time in 'set' command (strata takes up to 106481 days)" \
  "$(cli SET kept v EX 9199958401)"
expect "SET PX beyond the bound" "ERR invalid expire time in 'set' command (strata takes up to 106481 days)" \
  "$(cli SET kept v PX 9300000000000)"
ttl=$(cli PTTL kept); [ "$ttl" -gt 9199958390000 ] && [ "$ttl" -le 9199958400000 ] || fail "PTTL at the bound: got '$ttl'"
expect "SET EX not a number" "ERR value is not an integer or out of range" "$(cli SET kept v EX 10s)"

# MSET, MGET, EXISTS, DEL.
expect "MSET" "OK" "$(cli MSET a 1 b 2 c 3)"
expect "MGET" "1 2  3" "$(cli MGET a b nothing c | tr '\n' ' ' | sed 's/ $//')"
expect "EXISTS counts each name" "3" "$(cli EXISTS a b nothing a)"
expect "DEL" "2" "$(cli DEL a b nothing)"
expect "EXISTS after DEL" "1" "$(cli EXISTS a b c)"
expect "MSET with an odd count" "ERR wrong number of arguments for 'mset' command" "$(cli MSET a 1 b)"

# Namespaces: SELECT n or SELECT name; never crossing.
expect "SELECT by name, then SET" "OK
OK" "$(printf 'SELECT tenant1\r\nSET c other\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '+\r')"
expect "the default namespace keeps its value" "3" "$(cli GET c)"
expect "SELECT 0 is the default namespace" "3" "$(cli -n 0 GET c)"
expect "SELECT 5 is another" "" "$(cli -n 5 GET c)"
expect "SELECT of an index past 64 bits" "ERR value is not an integer or out of range" \
  "$(cli SELECT 99999999999999999999)"
expect "the named namespace has its value" "other" "$(printf 'SELECT tenant1\r\nGET c\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tail -1 | tr -d '\r')"
# Any name the HTTP API's ns takes: blanks, other scripts (they were refused by SELECT alone).
expect "SELECT of a name with a blank and a euro sign" "OK
OK
spaced" "$(printf '*2\r\n$6\r\nSELECT\r\n$9\r\nmy ns \xe2\x82\xac\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$6\r\nspaced\r\n*2\r\n$3\r\nGET\r\n$1\r\nc\r\n' |
  timeout 5 nc -N 127.0.0.1 "$port" | grep -v '^\$' | tr -d '+\r')"
expect "an empty name" "ERR value is not an integer or out of range" "$(cli SELECT '')"
# A whole number written with leading zeros is neither an index nor a selectable name: said so.
expect "SELECT of a number with leading zeros" "ERR DB index '007' has leading zeros: a namespace named by a whole number cannot be selected; reach it over HTTP (?ns=), or by SEMANTIC.* and VECTOR.*'s NS" "$(cli SELECT 007)"
expect "SELECT of a date is a name" "OK
OK" "$(printf 'SELECT 2024-12-06\r\nSET c dated\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '+\r')"
expect "the dated namespace has its value" "dated" \
  "$(printf 'SELECT 2024-12-06\r\nGET c\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tail -1 | tr -d '\r')"

# Errors that keep the connection usable.
expect "unknown command" "ERR unknown command 'NOSUCH', with args beginning with: 'x' " "$(cli NOSUCH x)"
expect "wrong arity" "ERR wrong number of arguments for 'get' command" "$(cli GET a b)"
expect "CONFIG SET" "ERR CONFIG SET is not supported: strata is configured by its YAML file (SIGHUP reloads it)" \
  "$(cli CONFIG SET save '')"

# What clients ask on connect.
expect "CONFIG GET save" 'save,' "$(cli --csv CONFIG GET save | tr -d '"')"
expect "CONFIG GET appendonly" "appendonly
no" "$(cli CONFIG GET appendonly)"
expect "CONFIG GET bind: the address alone" "bind,127.0.0.1" "$(cli --csv CONFIG GET bind | tr -d '"')"
expect "CONFIG GET port" "port,$port" "$(cli --csv CONFIG GET port | tr -d '"')"
expect "COMMAND COUNT" "25" "$(cli COMMAND COUNT)"
expect "CLIENT SETNAME" "OK" "$(cli CLIENT SETNAME e2e)"
expect "CLIENT GETNAME on the named connection" "e2e" \
  "$(printf 'CLIENT SETNAME e2e\r\nCLIENT GETNAME\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tail -1 | tr -d '\r')"
expect "CLIENT SETNAME with a space" "ERR Client names cannot contain spaces, newlines or special characters." \
  "$(cli CLIENT SETNAME 'a b')"
expect "CLIENT SETNAME without a name" "ERR wrong number of arguments for 'client|setname' command" \
  "$(cli CLIENT SETNAME)"
# COMMAND lists the table COUNT counts, with Redis's key positions (MSET: every second argument).
count=$(cli COMMAND COUNT)
expect "COMMAND lists what COMMAND COUNT counts" "$count" "$(cli COMMAND LIST | wc -l)"
# shellcheck disable=SC2046 # one argument per listed name
expect "COMMAND has an entry for each listed command, in order" "$(cli --csv COMMAND)" \
  "$(cli --csv COMMAND INFO $(cli COMMAND LIST))"
expect "COMMAND INFO without names lists every command" "$(cli COMMAND)" "$(cli COMMAND INFO)"
expect "COMMAND INFO of a connection command: no flags" '"ping",-1,,0,0,0' "$(cli --csv COMMAND INFO ping)"
expect "COMMAND INFO" '"mset",-3,"write",1,-1,2' "$(cli --csv COMMAND INFO mset)"
expect "COMMAND INFO of an unknown command" 'NULL,"get",2,"readonly",1,1,1' "$(cli --csv COMMAND INFO nosuch get)"
expect "COMMAND GETKEYS" "ERR unknown subcommand or wrong number of arguments for 'command|GETKEYS' (strata answers COMMAND, COMMAND COUNT, LIST, INFO and DOCS)" "$(cli COMMAND GETKEYS SET a b)"
expect "HELLO 3" "NOPROTO sorry, this protocol version is not supported" "$(cli HELLO 3)"
# Credentials are refused, not ignored: the client must not take itself for authenticated.
expect "HELLO 2 AUTH" "ERR AUTH is not supported: strata's Redis protocol has no users or passwords (keep it on a trusted interface)" \
  "$(cli HELLO 2 AUTH user secret)"
expect "HELLO 2 SETNAME" "named" "$(printf 'HELLO 2 SETNAME named\r\nCLIENT GETNAME\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r' | tail -1)"
expect "HELLO refused: no name set" "" \
  "$(printf 'HELLO 2 SETNAME named BOGUS\r\nCLIENT GETNAME\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r' | tail -1 | sed 's/^\$-1$//')"

# INFO: Redis's layout, with the runtime's figures.
info=$(cli INFO)
for section in "# Server" "# Clients" "# Stats" "# Strata"; do
  grep -qF "$section" <<<"$info" || fail "INFO has no '$section' section: $info"
done
grep -q '^layer_hot:requests=' <<<"$info" || fail "INFO has no layer_hot line: $info"
grep -q '^health:healthy' <<<"$info" || fail "INFO health: $info"
strata_only=$(cli INFO strata)
grep -q "# Server" <<<"$strata_only" && fail "INFO strata printed other sections"
grep -q "^layers:2" <<<"$strata_only" || fail "INFO strata: $strata_only"
two=$(cli INFO clients STRATA) # every section named, as Redis 7 (only the first was)
grep -q "^connected_clients:" <<<"$two" && grep -q "^layers:2" <<<"$two" || fail "INFO clients STRATA: $two"
grep -q "# Server" <<<"$two" && fail "INFO clients STRATA printed the server section"

# Inline commands, as telnet sends them.
out=$(printf 'SET inline value\r\nGET inline\nPING\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r')
expect "inline commands" "+OK
\$5
value
+PONG" "$out"

# Pipelining: many frames in one write, answered in order.
for i in $(seq 1 500); do printf '*3\r\n$3\r\nSET\r\n$%d\r\nkey%d\r\n$%d\r\nval%d\r\n' "$((3 + ${#i}))" "$i" "$((3 + ${#i}))" "$i"; done >"$dir/sets"
for i in $(seq 1 500); do printf '*2\r\n$3\r\nGET\r\n$%d\r\nkey%d\r\n' "$((3 + ${#i}))" "$i"; done >"$dir/gets"
out=$(redis-cli -p "$port" --pipe <"$dir/sets")
grep -q "errors: 0, replies: 500" <<<"$out" || fail "redis-cli --pipe of 500 SETs: $out"
cat "$dir/gets" | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r' | grep -v '^\$' >"$dir/values"
expect "500 pipelined GETs answered in order" "$(seq 1 500 | sed 's/^/val/')" "$(cat "$dir/values")"
# SETs and GETs of the same key interleaved in one write: each GET sees the SET before it.
out=$(printf '*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\nz\r\n*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1\r\n2\r\n*2\r\n$3\r\nGET\r\n$1\r\nz\r\n' \
  | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r' | tr '\n' ' ')
expect "interleaved SET and GET" '+OK $1 1 +OK $1 2 ' "$out"
# 300 such pairs in one write: every GET sees the SET before it (it waits for it), as in Redis.
for i in $(seq 1 300); do printf '*3\r\n$3\r\nSET\r\n$1\r\nw\r\n$%d\r\n%d\r\n*2\r\n$3\r\nGET\r\n$1\r\nw\r\n' "${#i}" "$i"; done >"$dir/pairs"
timeout 5 nc -N 127.0.0.1 "$port" <"$dir/pairs" | tr -d '\r' | grep -v '^[$+]' >"$dir/read_back"
expect "300 pipelined SET/GET pairs read their own writes" "$(seq 1 300)" "$(cat "$dir/read_back")"

# Malformed frames: an error naming the problem, the connection closed, the server unharmed.
out=$(printf '*1\r\n$4\r\nPINGX\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r')
expect "bad CRLF" "-ERR Protocol error: expected '\\r\\n' after a bulk string of 4 bytes" "$out"
out=$(printf '*1\r\n*1\r\n$4\r\nPING\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r')
expect "nested array" "-ERR Protocol error: expected '\$', got '*'" "$out"
out=$(printf '*2\r\n$3\r\nGET\r\n$-1\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r')
expect "negative bulk length" "-ERR Protocol error: invalid bulk length" "$out"
out=$(printf '*2\r\n$3\r\nGET\r\n$2000\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r')
expect "bulk over max_bulk (1KiB)" "-ERR Protocol error: invalid bulk length" "$out"
out=$( (head -c 300 /dev/zero | tr '\0' 'a') | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r')
expect "inline request over max_inline (256)" "-ERR Protocol error: too big inline request" "$out"
# Replies before the error are sent; what follows it is not run.
out=$(printf 'PING\r\n*1\r\n$x\r\nSET after error\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r' | tr '\n' ' ')
expect "a reply, then the error, then nothing" "+PONG -ERR Protocol error: invalid bulk length " "$out"
out=$(printf 'SET q 1\r\nGET q\r\n*1\r\n$x\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r' | tr '\n' ' ')
expect "the error after a GET waiting for a SET" '+OK $1 1 -ERR Protocol error: invalid bulk length ' "$out"
expect "nothing after the error ran" "0" "$(cli EXISTS after)"
expect "a new connection after the errors" "PONG" "$(cli PING)"

# QUIT answers and closes.
out=$(printf 'QUIT\r\nPING\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r')
expect "QUIT" "+OK" "$out"
# Also when it waits behind a write: what was sent after it is not run (the DEL was, and answered).
cli SET kept v >/dev/null
out=$(printf 'SET q0 1\r\nQUIT\r\nDEL kept\r\nPING\r\n' | timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r' | tr '\n' ' ')
expect "QUIT behind a write" "+OK +OK " "$out"
expect "nothing after QUIT ran" "1" "$(cli EXISTS kept)"

# The counters INFO keeps saw all this.
errors=$(info_count stats total_error_replies_protocol)
expect "protocol errors counted" "7" "$errors"

stop_resp

# Two event loops and at most five clients: connections are dealt to both loops, the sixth
# client is refused, and a pipelined load over both loops answers every request.
cat >"$dir/limits.yaml" <<'YAML'
layers: [{name: hot, plugin: predictive, deadline: 5s, config: {shards: 1, max_bytes: 4KiB}}]
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0", threads: 2, max_clients: 5}
YAML
start_resp "$dir/limits.yaml"
for i in 1 2 3 4 5; do nc -d 127.0.0.1 "$port" >/dev/null & background+=($!); done
# The holders connect in the background: until all five are in, a sixth client still gets PONG.
# (Up to 20 s: on a loaded machine five `nc` may take seconds to start.)
for _ in $(seq 400); do [ "$(cli PING)" != PONG ] && break; sleep 0.05; done
expect "the sixth client" "ERR max number of clients reached" "$(cli PING)"
kill "${background[@]}" 2>/dev/null; wait "${background[@]}" 2>/dev/null; background=()
for _ in $(seq 400); do [ "$(cli PING)" = PONG ] && break; sleep 0.05; done
expect "a client once the others left" "PONG" "$(cli PING)"
# Every holder's close seen (INFO's own connection is the one left) before the benchmark, which
# needs two slots: a PING passes once one close is seen.
for _ in $(seq 400); do [ "$(info_count clients connected_clients)" = 1 ] && break; sleep 0.05; done
expect "the holders' connections closed" "1" "$(info_count clients connected_clients)"
rejected=$(info_count stats rejected_connections)
[ "$rejected" -ge 1 ] || fail "rejected_connections: '$rejected'"
# Two clients in five slots: between the SET and GET runs redis-benchmark connects anew before the
# server has seen its old connections close.
out=$(redis-benchmark -p "$port" -c 2 -n 30000 -P 16 -t set,get --csv 2>&1)
grep -q '^"SET","' <<<"$out" && grep -q '^"GET","' <<<"$out" || fail "redis-benchmark over two loops: $out"
value=$(cli GET key:__rand_int__)
expect "the benchmark's 3-byte value" "3" "${#value}"
# Connections are dealt to both loops in turn; each loop counted its own IDs from 1.
ids=$(for _ in 1 2 3 4; do cli CLIENT ID; done)
expect "four connections over two loops: four numeric client IDs" "4" "$(grep -cxE '[0-9]+' <<<"$ids")"
expect "four connections over two loops: four distinct client IDs" "4" "$(sort -u <<<"$ids" | wc -l)"
# SET NX answers nil only when the key exists: a value no layer keeps (beyond its 4 KiB) is an
# error, not "held by another".
big=$(head -c 5000 /dev/zero | tr '\0' x)
expect "SET NX of a value too large to keep" "ERR strata: rejected: the layers declined the write (too large for \
their bounds, their policy, or every layer is write: around)" "$(cli SET nx-big "$big" NX)"
expect "SET NX of a small value" "OK" "$(cli SET nx-small v NX)"
expect "SET NX again" "" "$(cli SET nx-small w NX)"
expect "SET NX of a too large value on a key that exists" "" "$(cli SET nx-small "$big" NX)"
stop_resp

# A refused SET NX, then a DEL of the key, pipelined: nil, then 1. The NX's get (which tells "the key
# exists" from "no layer kept the value") ran after the DEL, found nothing, and answered an error.
cat >"$dir/nx_del.yaml" <<'YAML'
layers:
  - {name: hot, plugin: predictive, deadline: 5s, config: {max_entries: 4, shards: 1}}
  - {name: deep, plugin: predictive, deadline: 5s}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/nx_del.yaml"
# The fillers push k out of hot: it is in deep alone when the NX comes.
out=$( (printf 'SET k a\r\n'; for i in 1 2 3 4 5 6; do printf 'SET f%s x\r\n' "$i"; done; printf 'SET k b NX\r\nDEL k\r\n') |
  timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r' | tail -2 | tr '\n' ' ')
expect "a refused SET NX then a pipelined DEL" '$-1 :1 ' "$out"
stop_resp

# INFO strata without metrics: it says so, rather than figures of zero (a deployment that served nothing).
cat >"$dir/no_metrics.yaml" <<'YAML'
runtime: {metrics: false}
layers:
  - {name: hot, plugin: predictive}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/no_metrics.yaml"
cli SET a b >/dev/null
strata_only=$(cli INFO strata | tr -d '\r')
grep -qx "stats:off (runtime.metrics: false)" <<<"$strata_only" || fail "INFO strata without metrics: $strata_only"
grep -q "^overall:" <<<"$strata_only" && fail "INFO strata without metrics has figures: $strata_only"
stop_resp
echo ok

#!/usr/bin/env bash
# One connection's pipelined requests act in the order sent, with three layers (a get asks them
# one after another): `GET k; SET k new` answers nil then OK (the GET found the SET's value in
# the third layer, which the SET had reached first, in 9 of 10 pipelines), `SET k v; GET k` the
# value, `GET k; DEL k` the value. And an MGET of a key whose lookup failed answers the failure,
# not a nil that says the key is absent.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need python3 python3

cat >"$dir/deployment.yaml" <<'YAML'
layers:
  - {name: l1, plugin: predictive}
  - {name: l2, plugin: predictive}
  - {name: l3, plugin: predictive}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/deployment.yaml"
python3 - "$port" <<'PY' || fail "a pipelined request saw a later one, or missed an earlier one"
import socket, sys

def command(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)

conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
stream = conn.makefile("rb")

def reply():
    line = stream.readline()
    if line.startswith(b"$-1"):
        return None
    if line.startswith(b"$"):
        value = stream.read(int(line[1:]) + 2)[:-2]
        return value.decode()
    return line.strip().decode()

wrong = []
for i in range(300):
    k = b"order:%d" % i
    conn.sendall(command(b"GET", k) + command(b"SET", k, b"new") + command(b"GET", k) +
                 command(b"SET", k, b"newer") + command(b"GET", k) + command(b"DEL", k) + command(b"GET", k))
    got = [reply() for _ in range(7)]
    if got != [None, "+OK", "new", "+OK", "newer", ":1", None]:
        wrong.append((k.decode(), got))
for k, got in wrong[:3]:
    print("pipeline on %s answered %r" % (k, got))
print("%d of 300 pipelines out of order" % len(wrong))
sys.exit(1 if wrong else 0)
PY
stop_resp

cat >"$dir/deployment.yaml" <<'YAML'
layers:
  - {name: hot, plugin: predictive}
  - {name: away, plugin: test_map, config: {fail: unavailable_on_get}}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/deployment.yaml"
python3 - "$port" <<'PY' || fail "MGET of a key whose lookup failed"
import socket, sys
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
conn.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nheld\r\n$1\r\nv\r\n*3\r\n$4\r\nMGET\r\n$4\r\nheld\r\n$7\r\nunknown\r\n")
stream = conn.makefile("rb")
first, second = stream.readline(), stream.readline()
# `unknown` misses in hot; away cannot answer: it may hold it.
expected = b"-ERR strata: unavailable"
if first != b"+OK\r\n" or not second.startswith(expected):
    print("answered %r then %r, not +OK then %r..." % (first, second, expected))
    sys.exit(1)
PY
stop_resp
echo ok

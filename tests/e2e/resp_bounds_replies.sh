#!/usr/bin/env bash
# A client that asks for large values and does not read its replies holds at most about
# server.resp.max_pipeline of them in the server: its further requests wait unparsed. 2500 GETs
# of a 100 KiB value (55 KB sent) would otherwise be 250 MB of replies in memory. Once it reads,
# every reply comes, in order. One MGET whose values come to more than max_pipeline is refused.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need python3 python3

cat >"$dir/deployment.yaml" <<'YAML'
layers:
  - {name: hot, plugin: predictive}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0", max_bulk: 512KiB, max_pipeline: 1MiB}
YAML
start_resp "$dir/deployment.yaml"
PYTHONPATH="$(dirname "$0")" python3 - "$port" "$pid" <<'PY' || fail "see above"
import socket, sys, time
from resp_replies import mismatch, rss_mib
port, pid = int(sys.argv[1]), int(sys.argv[2])
value = b"v" * 102400
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$102400\r\n" + value + b"\r\n")
assert s.recv(100) == b"+OK\r\n"
reply = b"$102400\r\n" + value + b"\r\n"
# Straight GETs, then GETs parked behind a SET (they wait for its answer, then run together).
for name, first, expected_first in (("gets", b"", b""), ("gets after a set", b"SET x y\r\n", b"+OK\r\n")):
    base = rss_mib(pid)
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(first + b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 2500)
    time.sleep(1.5)  # the server answers what it may while the client reads nothing
    grown = rss_mib(pid) - base
    if grown > 60:
        sys.exit(f"{name}: the server grew by {grown} MiB for a client that does not read (max_pipeline 1 MiB)")
    s.sendall(b"PING\r\n")
    assert s.recv(100) == b"+PONG\r\n"
    c.settimeout(20)
    if problem := mismatch(c, expected_first + reply * 2500):  # compared as it comes, not held
        sys.exit(f"{name}: {problem}")
    c.close()
    print(f"{name}: grew by {grown} MiB while not read; every reply, in order")
# One MGET of many large values is refused rather than held: 2500 keys of 100 KiB (a 250 MB reply)
# held it all in the server. One under the bound is answered.
base = rss_mib(pid)
c = socket.create_connection(("127.0.0.1", port))
c.settimeout(20)
c.sendall(b"*2501\r\n$4\r\nMGET\r\n" + b"$3\r\nbig\r\n" * 2500 + b"*6\r\n$4\r\nMGET\r\n" + b"$3\r\nbig\r\n" * 5)
refusal = b"-ERR strata: the reply would be larger than server.resp.max_pipeline (1048576 bytes): ask for fewer keys at once\r\n"
want = refusal + b"*5\r\n" + reply * 5
got = b""
while len(got) < len(want):
    chunk = c.recv(1 << 20)
    if not chunk:
        break
    got += chunk
grown = rss_mib(pid) - base
if got != want:
    sys.exit(f"mget: answered {got[:200]!r}")
if grown > 60:
    sys.exit(f"mget: the server grew by {grown} MiB for one MGET (max_pipeline 1 MiB)")
print(f"mget: refused over max_pipeline, grew by {grown} MiB; answered under it")
PY
stop_resp
echo ok

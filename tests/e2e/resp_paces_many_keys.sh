#!/usr/bin/env bash
# A command of many keys is fed to the layers max_in_flight keys at a time, as a deep pipeline is:
# an MSET, MGET, EXISTS and DEL of 100 000 keys each answer in full at the first layer's 100 ms
# deadline (sent all at once, the keys the layer reached after 100 ms timed out). A command
# pipelined behind one still sending does not overtake its last keys, and one whose client is gone
# sends no more.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"

cat >"$dir/deployment.yaml" <<'YAML'
# A drain longer than stop_resp waits: the server must not wait for the requests of a closed
# connection that were parked behind its MSET.
runtime: {shutdown_timeout: 30s}
layers:
  - {name: hot, plugin: predictive, deadline: 100ms, config: {max_entries: 200000}}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0", max_in_flight: 256}
YAML
start_resp "$dir/deployment.yaml"

out=$(python3 - "$port" <<'PY'
import socket, sys
n = 100000
def command(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
f = s.makefile("rb")
def reply():
    line = f.readline().rstrip(b"\r\n")
    if line[:1] == b"*":
        return [reply() for _ in range(int(line[1:]))]
    if line[:1] == b"$":
        size = int(line[1:])
        return None if size < 0 else f.read(size + 2)[:-2]
    return line
keys = [b"k%d" % i for i in range(n)]
pairs = []
for i, k in enumerate(keys):
    pairs += [k, b"v%d" % i]
s.sendall(command(b"MSET", *pairs)); print("MSET", reply().decode())
s.sendall(command(b"MGET", *keys)); values = reply()
print("MGET", sum(v == b"v%d" % i for i, v in enumerate(values)))
s.sendall(command(b"EXISTS", *keys)); print("EXISTS", reply().decode())
s.sendall(command(b"DEL", *keys)); print("DEL", reply().decode())
# Pipelined: the SET and the GET must come after the MSET's last key (sent in its last window).
few = [b"p%d" % i for i in range(2000)]
pairs = []
for k in few:
    pairs += [k, b"old"]
s.sendall(command(b"MSET", *pairs) + command(b"SET", few[-1], b"new") + command(b"GET", few[-1]) +
          command(b"DEL", *few) + command(b"SET", few[-1], b"after") + command(b"GET", few[-1]))
print("PIPELINED", " ".join(str(reply().decode()) for _ in range(6)))
# A client that resets its connection with requests parked behind its MSET.
import struct, time
gone = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
many = []
for k in keys:
    many += [k, b"v"]
gone.sendall(command(b"MSET", *many) + command(b"SET", b"x", b"y") + command(b"GET", b"x"))
for _ in range(500):  # until its first window is written: the MSET has started
    s.sendall(command(b"EXISTS", keys[0]))
    if reply() == b":1":
        break
    time.sleep(0.01)
gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
gone.close()
# Its MSET sends no window after the close: its last key is never written (it kept sending them
# all, to no one).
time.sleep(3)
s.sendall(command(b"EXISTS", keys[-1], keys[len(keys) // 2], b"x")); print("AFTER RESET", reply().decode())
PY
)
echo "$out"
expect "MSET of 100000 keys" "MSET +OK" "$(sed -n 1p <<<"$out")"
expect "MGET of 100000 keys" "MGET 100000" "$(sed -n 2p <<<"$out")"
expect "EXISTS of 100000 keys" "EXISTS :100000" "$(sed -n 3p <<<"$out")"
expect "DEL of 100000 keys" "DEL :100000" "$(sed -n 4p <<<"$out")"
expect "writes pipelined behind a paced MSET and DEL" "PIPELINED +OK +OK new :2000 +OK after" "$(sed -n 5p <<<"$out")"
expect "a reset client's MSET stops, its parked SET never runs" "AFTER RESET :0" "$(sed -n 6p <<<"$out")"
stop_resp
echo "ok"

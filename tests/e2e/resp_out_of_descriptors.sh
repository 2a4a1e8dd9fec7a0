#!/usr/bin/env bash
# With no file descriptor left (ulimit -n), the RESP listener stops accepting for a while and says
# why, rather than waking the loop at once for ever (a core at 100 %, nothing logged); once
# connections close, new ones are served again.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need python3 python3
need prlimit util-linux

cat >"$dir/deployment.yaml" <<'YAML'
layers:
  - {name: hot, plugin: predictive}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/deployment.yaml"
# A few descriptors above what the server has open by now.
prlimit --pid "$pid" --nofile=48:48 || fail "prlimit failed"
python3 - "$port" "$pid" <<'PY' || fail "see above"
import socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
def cpu_ticks():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime
clients = []
for _ in range(80):  # more than the server may hold
    c = socket.create_connection(("127.0.0.1", port))
    clients.append(c)
time.sleep(0.5)
before = cpu_ticks()
time.sleep(1.0)
spent = cpu_ticks() - before  # ticks of 10 ms: a spinning loop spends ~100 a second
if spent > 30:
    sys.exit(f"the server spent {spent} ticks in 1 s with connections it cannot accept")
for c in clients:
    c.close()
time.sleep(0.5)
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(5)
s.sendall(b"PING\r\n")
if s.recv(100) != b"+PONG\r\n":
    sys.exit("no PONG once descriptors were free again")
print(f"{spent} ticks in 1 s while out of descriptors; served again after")
PY
grep -q "strata: resp: cannot accept a connection: Too many open files (see ulimit -n)" "$dir/serve.log" ||
  fail "no line naming the cause"
stop_resp
echo ok

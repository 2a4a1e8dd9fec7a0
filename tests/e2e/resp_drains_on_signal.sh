#!/usr/bin/env bash
# `strata serve` on SIGTERM stops accepting RESP connections and reading requests, but answers
# the GET it is serving, then exits 0. The layer (test_map) takes 2 s per get, and the GET has
# 0.8 s to reach it before the SIGTERM (a loaded machine may take more than 0.3 s to start
# redis-cli and have its request read). A client in a deep pipeline gets its replies, then the end
# of the stream.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need redis-cli redis-tools

cat >"$dir/deployment.yaml" <<'YAML'
layers:
  - {name: slow, plugin: test_map, deadline: 5s, config: {fail: hang_on_get, hang: 2s}}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/deployment.yaml"
redis-cli -p "$port" GET k >"$dir/slow" 2>&1 &
slow=$!; background+=("$slow")
sleep 0.8
kill -TERM "$pid"
sleep 0.2
out=$(redis-cli -p "$port" PING 2>&1)
grep -q "Connection refused" <<<"$out" || fail "a connection after SIGTERM: expected 'Connection refused', got '$out'"
wait "$slow"; background=()
expect "the GET in flight (a miss, after 2 s)" "" "$(cat "$dir/slow")"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "still running 5 s after SIGTERM"
wait "$pid"; rc=$?; pid=""
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM"
grep -q "strata: stopped" "$dir/serve.log" || fail "no 'strata: stopped' line"

# A reply that comes after the RESP drain gave up but while the runtime still waits (each waits
# shutdown_timeout, 600 ms; the get takes 1 s from 0.1 s before SIGTERM) finds its connection's
# loop gone: dropped, not written into freed memory (which crashed the server).
sed -i -e '1i runtime: {shutdown_timeout: 600ms}' -e 's/hang: 2s/hang: 1s/' "$dir/deployment.yaml"
start_resp "$dir/deployment.yaml"
redis-cli -p "$port" GET k >/dev/null 2>&1 &
background+=($!)
sleep 0.1
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "still running 5 s after SIGTERM (late reply)"
wait "$pid"; rc=$?; pid=""
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM with a reply owed past the drain"

# A client deep in a pipeline when SIGTERM comes gets the replies to what was read, then the end
# of the stream: closed with its requests unread, the socket sent a reset, which the client saw
# as ECONNRESET (and which may drop replies still on their way).
cat >"$dir/fast.yaml" <<'YAML'
layers: [{name: hot, plugin: predictive}]
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/fast.yaml"
python3 - "$port" "$pid" >"$dir/pipeline" 2>&1 <<'PY' || fail "deep pipeline at SIGTERM: $(cat "$dir/pipeline")"
import os, signal, socket, sys, threading, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
requests = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n" % (len(k), k)
                    for k in (b"k%d" % i for i in range(300000)))
def send():
    try:
        s.sendall(requests)
    except OSError:
        pass  # the server stopped reading, then closed
threading.Thread(target=send, daemon=True).start()
time.sleep(0.05)
os.kill(pid, signal.SIGTERM)
received = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        received += chunk
except ConnectionResetError:
    sys.exit("reset after %d replies instead of the end of the stream" % received.count(b"+OK"))
replies = received.count(b"+OK")
if replies == 0:
    sys.exit("no reply before the end of the stream")
if received != b"+OK\r\n" * replies:
    sys.exit("expected only whole +OK replies, got %d bytes, %d replies" % (len(received), replies))
PY
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
wait "$pid"; rc=$?; pid=""
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM in a deep pipeline"
echo ok

#!/usr/bin/env bash
# SIGHUP: `strata serve` re-reads its file and applies the log level and the alert rules at once,
# logs what else changed as needing a restart, resolves the alert of a firing rule it removes, and
# refuses an invalid file (logging every error, changing nothing), logs a change of level whichever
# way it goes; SIGTERM still drains and exits 0. Spoken to with redis-cli.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need redis-cli redis-tools

# deployment LEVEL RULES [MAX_CLIENTS]
deployment() {
  cat >"$dir/deployment.yaml" <<YAML
runtime: {stats_interval: 50ms}
layers: [{name: hot, plugin: predictive}]
logging: {level: $1}
alerts:
  rules:
$2
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0", max_clients: ${3:-100}}
YAML
}
never="    - {name: never, value: rss_bytes, comparison: '<', threshold: 0}"
always="    - {name: always, value: rss_bytes, comparison: '>', threshold: 0}"

# hup N: sends SIGHUP and waits for the N-th "strata: SIGHUP" line.
hup() {
  kill -HUP "$pid"
  for _ in $(seq 400); do
    [ "$(grep -c '^strata: SIGHUP' "$dir/serve.log")" -ge "$1" ] && return 0
    sleep 0.05
  done
  fail "no answer to SIGHUP number $1"
}
firing() { info_count strata alerts_firing; }
# logged PATTERN: whether the log has a line matching PATTERN within 10 s (the runtime's lines are
# written by the logger's thread, and may follow the "strata: SIGHUP" line).
logged() {
  for _ in $(seq 200); do grep -q "$1" "$dir/serve.log" && return 0; sleep 0.05; done
  return 1
}

deployment info "$never"
start_resp "$dir/deployment.yaml"
expect "SET at level info" "OK" "$(redis-cli -p "$port" SET x 0)"
sleep 0.2
expect "alerts firing at start" "0" "$(firing)"
grep -q "layer answered" "$dir/serve.log" && fail "debug lines at level info"

# Level debug and a rule that fires at once.
deployment debug "$never
$always"
hup 1
logged "strata: SIGHUP, reloaded .* (2 applied, 0 need a restart, 0 errors)" || fail "reload line"
logged "applied logging.level: info -> debug" || fail "no log line for the level"
logged "applied alerts.rules: never -> never, always" || fail "no log line for the rules"
for _ in $(seq 400); do [ "$(firing)" = 1 ] && break; sleep 0.05; done
expect "alerts firing after the reload" "1" "$(firing)"
logged "alert always firing" || fail "the new rule's alert is not in the log"
redis-cli -p "$port" SET x 1 >/dev/null
logged "layer answered" || fail "no debug line after the level became debug"

# An invalid file: every error logged, nothing changed.
deployment loud "    - {name: broken, value: rss_bytes, comparison: '=', threshold: 0}"
hup 2
logged "strata: SIGHUP, reload refused: .* (0 applied, 0 need a restart, 2 errors)" || fail "refusal line"
logged "refused, nothing changed: .*deployment.yaml:3:.*logging.level: expected one of debug" ||
  fail "the level error is not logged with its position"
logged "refused, nothing changed: .*alerts.rules\[0\].comparison" || fail "the rule error is not logged"
sleep 0.2
expect "alerts firing after a refused reload" "1" "$(firing)"
before=$(grep -c "layer answered" "$dir/serve.log")
redis-cli -p "$port" SET x 1 >/dev/null
for _ in $(seq 400); do [ "$(grep -c "layer answered" "$dir/serve.log")" -gt "$before" ] && break; sleep 0.05; done
[ "$(grep -c "layer answered" "$dir/serve.log")" -gt "$before" ] || fail "the level left debug after a refused reload"

# A change that needs a restart is logged as such; the rules and level apply regardless.
deployment info "$never" 50
hup 3
logged "server.resp.max_clients changed and needs a restart" || fail "no needs-a-restart line"
logged "applied logging.level: debug -> info" || fail "the level did not go back to info"
for _ in $(seq 400); do [ "$(firing)" = 0 ] && break; sleep 0.05; done
expect "alerts firing once the rule is gone" "0" "$(firing)"
logged "alert always resolved (warning): rss_bytes of system: the rule was removed by a reload" ||
  fail "removing the firing rule did not resolve its alert"
expect "the server still answers" "PONG" "$(redis-cli -p "$port" PING)"

# A level that shows less applies after the line saying so, one that shows more before it: both
# are written.
deployment warn "$never" 50
hup 4
logged "applied logging.level: info -> warn" || fail "no line for info -> warn"
deployment info "$never" 50
hup 5
logged "applied logging.level: warn -> info" || fail "no line for warn -> info"

stop_resp
echo ok

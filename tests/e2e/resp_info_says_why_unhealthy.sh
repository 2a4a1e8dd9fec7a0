#!/usr/bin/env bash
# INFO strata, where the Redis protocol's `unavailable` refusal points an operator: besides each
# layer's and each system check's level, why the unhealthy ones are so, in the words of
# /v1/health (a deleted data folder: the global layer's writes fail, the disk check fails; a
# resident memory limit of 1 MiB). Spoken to with redis-cli.
set -uo pipefail
strata=$1
. "$(dirname "$0")/serve_resp.sh"
need redis-cli redis-tools

cat >"$dir/deployment.yaml" <<YAML
layers:
  - {name: hot, plugin: predictive}
  - {name: deep, plugin: global, config: {sqlite_path: "$dir/data/global.sqlite3"}}
health: {data_dir: "$dir/data", max_rss: 1MiB}
server:
  http: {enabled: false}
  resp: {address: "127.0.0.1:0"}
YAML
start_resp "$dir/deployment.yaml"
# With its stderr: a closed or refused connection prints nothing on stdout, which read as a nil.
cli() { redis-cli -p "$port" "$@" 2>&1; }

expect "SET while the data folder is there" "OK" "$(cli SET before kept)"
info=$(cli INFO strata | tr -d '\r')
grep -qx "layer_deep_health:healthy" <<<"$info" || fail "INFO strata before: $info"
grep -q "^layer_deep_health_detail:" <<<"$info" && fail "a healthy layer has a detail line: $info"
grep -qx "system_rss_health:critical" <<<"$info" || fail "INFO strata has no critical rss check: $info"
grep -q "^system_rss_health_detail:resident memory .* of a 1.0 MiB limit$" <<<"$info" ||
  fail "INFO strata does not say why the rss check is critical: $info"

rm -rf "$dir/data"
out=$(cli SET after lost)
grep -q "unavailable" <<<"$out" || fail "SET after the data folder went: $out"
info=$(cli INFO strata | tr -d '\r')
grep -qx "layer_deep_health:critical" <<<"$info" || fail "INFO strata after: $info"
grep -q "^layer_deep_health_detail:database failing: .*deleted or replaced" <<<"$info" ||
  fail "INFO strata does not say why layer deep is critical: $info"
grep -qx "system_disk_health:critical" <<<"$info" || fail "INFO strata has no critical disk check: $info"
grep -q "^system_disk_health_detail:." <<<"$info" || fail "INFO strata does not say why the disk check is critical: $info"
stop_resp
echo "ok"

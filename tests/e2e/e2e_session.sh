# Sourced first by the end-to-end scripts that start `strata serve` (serve_http.sh and
# serve_resp.sh source it): a scratch folder $dir, removed at exit; the server's pid in $pid and
# other processes in the array $background, killed at exit (the server with $kill_signal if the
# script set it before sourcing, TERM otherwise); fail MESSAGE prints the server's output and exits
# 1; need COMMAND PACKAGE exits 1 when COMMAND is missing, naming the package scripts/setup installs.
[ -n "${e2e_session:-}" ] && return 0 # sourced once: serve_http.sh sources it again
e2e_session=1
dir=$(mktemp -d); pid=""; background=()
end_session() {
  [ -n "$pid" ] && kill "-${kill_signal:-TERM}" "$pid" 2>/dev/null
  [ ${#background[@]} -gt 0 ] && kill "${background[@]}" 2>/dev/null
  rm -rf "$dir"
}
trap end_session EXIT
fail() { echo "FAIL: $*"; [ -f "$dir/serve.log" ] && { echo "--- server output:"; cat "$dir/serve.log"; }; exit 1; }
need() { command -v "$1" >/dev/null || { echo "FAIL: $1 not found (scripts/setup installs $2)"; exit 1; }; }

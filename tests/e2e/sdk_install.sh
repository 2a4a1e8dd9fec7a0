#!/usr/bin/env bash
# The SDK as a user receives it: `cmake --install` into a temporary prefix, then, against that
# prefix only, the out-of-tree examples (find_package(strata) and pkg-config), the config reference,
# a deployment that loads the custom layer into the installed `strata serve`, and the layer of
# plugins/README.md built from that file as it is.
# Usage: sdk_install.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$1; src=$2
. "$(dirname "$0")/e2e_session.sh"
need curl curl
prefix=$dir/prefix

cmake --install "$build" --prefix "$prefix" >"$dir/install.log" 2>&1 || { cat "$dir/install.log"; fail "cmake --install"; }
libdir=$(cd "$prefix" && ls -d lib*/ | head -1); libdir=$prefix/${libdir%/}
for f in bin/strata include/strata/runtime.hpp include/strata/sdk.hpp include/strata/plugin_abi.h \
         share/strata/configs/default.yaml; do
  [ -e "$prefix/$f" ] || fail "the install lacks $f"
done
for f in libstrata.so strata/plugins/libstrata_predictive.so cmake/strata/strata-config.cmake \
         cmake/strata/strata_plugin.cmake pkgconfig/strata.pc; do
  [ -e "$libdir/$f" ] || fail "the install lacks ${libdir#$prefix/}/$f"
done
# (The listing read whole before grep -q: under pipefail, grep's early exit could fail the pipe,
# and the check pass.)
plugins=$(ls "$libdir"/strata/plugins)
if grep -q test_ <<<"$plugins"; then fail "test plugins were installed: $plugins"; fi

# The C++ API's layout may change with the minor version below 1.0 (README): the SONAME carries
# major.minor, and find_package takes only the minor version asked for.
version=$(sed -n 's/^project(strata VERSION \([0-9]*\.[0-9]*\)\..*/\1/p' "$src/CMakeLists.txt")
[ -n "$version" ] || fail "no project version in CMakeLists.txt"
for library in libstrata libstrata_store; do
  soname=$(objdump -p "$libdir/$library.so" | awk '$1 == "SONAME" {print $2}')
  [ "$soname" = "$library.so.$version" ] || fail "$library.so's SONAME is '$soname', not $library.so.$version"
done
mkdir -p "$dir/older"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(older LANGUAGES CXX)\nfind_package(strata 0.1 REQUIRED)\n' \
  >"$dir/older/CMakeLists.txt"
if [ "$version" != 0.1 ] &&
   cmake -S "$dir/older" -B "$dir/older/build" -DCMAKE_PREFIX_PATH="$prefix" >"$dir/older.log" 2>&1; then
  fail "find_package(strata 0.1) accepted the installed $version"
fi

# The configuration reference in docs/ is what the installed plugins declare.
"$prefix/bin/strata" config-reference >"$dir/reference.md" || fail "strata config-reference failed"
diff -u "$src/docs/config-reference.md" "$dir/reference.md" ||
  fail "docs/config-reference.md differs from 'strata config-reference' (regenerate it with that command)"

# Run outside the source tree, `strata serve` without -c says where the installed default is.
out=$(cd "$dir" && "$prefix/bin/strata" serve 2>&1) && fail "strata serve without a config started"
grep -qF -- "-c $prefix/share/strata/configs/default.yaml" <<<"$out" ||
  fail "strata serve without configs/default.yaml does not name the installed one: $out"
out=$("$prefix/bin/strata" bogus 2>&1) && fail "strata bogus succeeded"
grep -qF "unknown command 'bogus'" <<<"$out" || fail "strata bogus does not name the command: $out"

# A layer written against the installed SDK, built out of tree.
cmake -S "$src/examples/custom_layer" -B "$dir/fixtures" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$dir/fixtures.log" 2>&1 &&
  cmake --build "$dir/fixtures" >>"$dir/fixtures.log" 2>&1 || { cat "$dir/fixtures.log"; fail "building examples/custom_layer"; }
[ -f "$dir/fixtures/libstrata_fixtures.so" ] || fail "examples/custom_layer built no libstrata_fixtures.so"

# The embedding example against the installed runtime: once with CMake, once with pkg-config.
cmake -S "$src/examples/embed" -B "$dir/embed" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$dir/embed.log" 2>&1 && cmake --build "$dir/embed" >>"$dir/embed.log" 2>&1 ||
  { cat "$dir/embed.log"; fail "building examples/embed against the install"; }
"$dir/embed/strata-embed-example" "$prefix/share/strata/configs/default.yaml" 400 >"$dir/embed.out" 2>&1 ||
  { cat "$dir/embed.out"; fail "the embedding example failed on the installed default deployment"; }
grep -q "answered by predictive" "$dir/embed.out" || { cat "$dir/embed.out"; fail "no hit on the predictive layer"; }
grep -q "runtime stats" "$dir/embed.out" || { cat "$dir/embed.out"; fail "the example printed no stats"; }
# Fewer requests than threads, and a count that is none (both crashed it: a percentile of nothing).
"$dir/embed/strata-embed-example" "$prefix/share/strata/configs/default.yaml" 3 >"$dir/embed.out" 2>&1 ||
  { cat "$dir/embed.out"; fail "the embedding example failed on 3 requests"; }
grep -q ": 3 requests in" "$dir/embed.out" || { cat "$dir/embed.out"; fail "3 requests were not all made"; }
"$dir/embed/strata-embed-example" "$prefix/share/strata/configs/default.yaml" abc >"$dir/embed.out" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q "requests: expected a whole number from 1 to 100000000, got 'abc'" "$dir/embed.out" ||
  { cat "$dir/embed.out"; fail "a count that is no number: exit $rc"; }
PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --exists strata || fail "pkg-config does not find strata.pc"
# shellcheck disable=SC2046
g++ -O1 -o "$dir/embed-pc" "$src/examples/embed/main.cpp" $(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --cflags --libs strata) \
  -Wl,-rpath,"$libdir" 2>"$dir/pc.log" || { cat "$dir/pc.log"; fail "compiling with pkg-config's flags"; }
# A C++20 host stays C++20: pkg-config's flags name no standard (its -std=c++17 came last and won).
printf '#include <strata/runtime.hpp>\n#include <span>\nint main() { int a[1] = {0}; return int(std::span<int>(a).size()) - 1; }\n' \
  >"$dir/cxx20.cpp"
# shellcheck disable=SC2046
g++ -std=c++20 -fsyntax-only "$dir/cxx20.cpp" $(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --cflags strata) \
  2>"$dir/cxx20.log" || { cat "$dir/cxx20.log"; fail "a C++20 host with pkg-config's flags"; }

# The custom layer loaded by the installed server: check-config, then real HTTP.
export STRATA_FIXTURES_PLUGIN_DIR=$dir/fixtures STRATA_FIXTURES_FILE=$src/examples/custom_layer/fixtures.tsv
export STRATA_HTTP_ADDRESS=127.0.0.1:0
"$prefix/bin/strata" check-config "$src/examples/custom_layer/deployment.yaml" >"$dir/check.out" 2>&1 ||
  { cat "$dir/check.out"; fail "check-config refused examples/custom_layer/deployment.yaml"; }
grep -q "plugin: fixtures" "$dir/check.out" || fail "check-config output lacks the fixtures layer"
strata=$prefix/bin/strata
. "$(dirname "$0")/serve_http.sh"
start_serve "$src/examples/custom_layer/deployment.yaml"
body=$(curl -sS "http://$address/v1/cache/what-is-strata") || fail "curl"
grep -qF '"layer":"canned"' <<<"$body" || fail "the first get was not answered by the fixtures layer: $body"
grep -qF 'multi-layer cache runtime' <<<"$body" || fail "wrong fixture value: $body"
body=$(curl -sS "http://$address/v1/cache/what-is-strata") || fail "curl"
grep -qF '"layer":"predictive"' <<<"$body" || fail "the fixture hit was not promoted: $body"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://$address/v1/cache/not-a-fixture") || fail "curl"
[ "$code" = 404 ] || fail "a key that is not a fixture answered $code"
kill -TERM "$pid"; wait "$pid" || fail "strata serve did not exit 0 on SIGTERM"; pid=""

# plugins/README.md's layer, pasted as it is into my_layer.cpp and built against the install (with
# --no-undefined, as strata_add_plugin links): it links, check-config loads it, and it serves.
mine=$dir/my_layer
mkdir -p "$mine"
awk '/^## Writing a layer/{w=1} w&&/^```cpp$/{f=1;next} f&&/^```$/{exit} f' "$src/plugins/README.md" >"$mine/my_layer.cpp"
grep -q 'STRATA_LAYER_PLUGIN("my_layer"' "$mine/my_layer.cpp" || fail "plugins/README.md: no my_layer in the first cpp block of 'Writing a layer'"
# With a file that calls into strata::store, as a persisting layer would, and installed into a prefix
# of its own: the installed copy finds libstrata_store.so by itself (nothing else in the deployment
# loads it).
printf '#include <strata/store.hpp>\nstd::string stored_as(std::string_view text) { return strata::storage::storable_text(text); }\n' \
  >"$mine/uses_store.cpp"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(my_layer LANGUAGES CXX)\nset(CMAKE_CXX_STANDARD 17)\nfind_package(strata REQUIRED)\nstrata_add_plugin(strata_my_layer SOURCES my_layer.cpp uses_store.cpp LIBRARIES strata::store)\ninstall(TARGETS strata_my_layer LIBRARY DESTINATION plugins)\n' \
  >"$mine/CMakeLists.txt"
cmake -S "$mine" -B "$mine/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$dir/my_layer.log" 2>&1 &&
  cmake --build "$mine/build" >>"$dir/my_layer.log" 2>&1 && cmake --install "$mine/build" --prefix "$mine/installed" >>"$dir/my_layer.log" 2>&1 ||
  { cat "$dir/my_layer.log"; fail "building and installing plugins/README.md's layer"; }
needed=$(readelf -d "$mine/installed/plugins/libstrata_my_layer.so")
grep -q 'NEEDED.*libstrata_store' <<<"$needed" ||
  fail "the installed my_layer does not need libstrata_store.so (the check below would prove nothing)"
printf 'plugins: {path: ["%s"]}\nlayers:\n  - {name: mine, plugin: my_layer, config: {limit: 10}}\nserver:\n  http: {address: "127.0.0.1:0"}\n  resp: {enabled: false}\n' \
  "$mine/installed/plugins" >"$dir/my_layer.yaml"
"$strata" check-config "$dir/my_layer.yaml" >"$dir/my_layer.out" 2>&1 || { cat "$dir/my_layer.out"; fail "check-config refused plugins/README.md's layer"; }
start_serve "$dir/my_layer.yaml"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -d '{"value": "v1", "ttl": "1m", "tags": ["t"]}' "http://$address/v1/cache/k") || fail "curl"
[ "$code" = 204 ] || fail "plugins/README.md's layer: a put answered $code"
body=$(curl -sS "http://$address/v1/cache/k") || fail "curl"
grep -qF '"value":"v1","layer":"mine"' <<<"$body" || fail "plugins/README.md's layer: the get answered $body"
body=$(curl -sS -X POST -d '{"tag": "t"}' "http://$address/v1/invalidate") || fail "curl"
grep -qF '"removed":1' <<<"$body" || fail "plugins/README.md's layer: the tag invalidation answered $body"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://$address/v1/cache/k") || fail "curl"
[ "$code" = 404 ] || fail "plugins/README.md's layer: a get after the tag invalidation answered $code"
kill -TERM "$pid"; wait "$pid" || fail "strata serve did not exit 0 on SIGTERM (plugins/README.md's layer)"; pid=""

# An empty file name: the plugin's own check (ABI 1.3, through the installed SDK's macro) refuses it
# in check-config, at its key.
printf 'plugins: {path: ["%s"]}\nlayers:\n  - name: canned\n    plugin: fixtures\n    config: {file: ""}\n' \
  "$dir/fixtures" >"$dir/no_file.yaml"
"$strata" check-config "$dir/no_file.yaml" >"$dir/no_file.out" 2>&1 && fail "check-config accepted an empty fixtures file name"
grep -qF "$dir/no_file.yaml:5:20: layers[0].config.file: plugin 'fixtures': names no file" "$dir/no_file.out" ||
  { cat "$dir/no_file.out"; fail "no refusal at the key"; }

# A bad fixtures file: the layer's factory refuses it with FILE:LINE, and the server does not start.
printf 'no tab on this line\n' >"$dir/bad.tsv"
STRATA_FIXTURES_FILE=$dir/bad.tsv timeout 20 "$strata" serve -c "$src/examples/custom_layer/deployment.yaml" \
  >"$dir/bad.out" 2>&1 && fail "strata serve started with a malformed fixtures file"
grep -qF "$dir/bad.tsv:1: expected KEY<TAB>VALUE" "$dir/bad.out" || { cat "$dir/bad.out"; fail "no FILE:LINE in the error"; }
echo "PASS"

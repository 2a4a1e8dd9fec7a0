#!/usr/bin/env bash
# `strata dashboard` turns a JSON snapshot into a page that headless Chromium renders with each
# layer's hit rate. Leaves stats.html, dom.html and stats.png in the artifacts directory to look at.
set -uo pipefail
strata=$1; write_sample=$2; chromium=$3; artifacts=$4
[ -x "$chromium" ] || { echo "chromium not found ('$chromium'): scripts/setup installs it"; exit 1; }
rm -rf "$artifacts" && mkdir -p "$artifacts" || exit 1
profile=$(mktemp -d); trap 'rm -rf "$profile"' EXIT
"$write_sample" >"$artifacts/f.json" || { echo "writing the sample snapshot failed"; exit 1; }
"$strata" dashboard --snapshot "$artifacts/f.json" >"$artifacts/stats.html" ||
  { echo "strata dashboard failed"; exit 1; }

# A profile of its own: no state in $HOME, no lock shared with another run.
chrome=(timeout 45 "$chromium" --headless --no-sandbox --disable-gpu --user-data-dir="$profile")
page="file://$artifacts/stats.html"
"${chrome[@]}" --dump-dom "$page" >"$artifacts/dom.html" 2>"$artifacts/chromium.log" ||
  { echo "chromium --dump-dom failed"; tail -20 "$artifacts/chromium.log"; exit 1; }
"${chrome[@]}" --screenshot="$artifacts/stats.png" --window-size=1280,520 "$page" 2>>"$artifacts/chromium.log" ||
  { echo "chromium --screenshot failed"; tail -20 "$artifacts/chromium.log"; exit 1; }
[ -s "$artifacts/stats.png" ] || { echo "no screenshot"; exit 1; }

# Each layer's row, as the browser parsed it, carries the layer's hit rate.
for row in 'hot</td><td class="hit">.*</span>75\.0%</td>' 'deep</td><td class="hit">.*</span>50\.0%</td>' \
           'all</td><td class="hit">.*</span>75\.0%</td>'; do
  grep -qE "<td class=\"name\">$row" "$artifacts/dom.html" ||
    { echo "not rendered: $row"; cat "$artifacts/dom.html"; exit 1; }
done
echo "rendered: $artifacts/stats.png"

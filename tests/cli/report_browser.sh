#!/usr/bin/env bash
# report.html in a real browser (issue 18): a demo and a models x tokens sweep at toy size write their
# reports; headless Chromium loads a copy of each with a probe script appended, which records whether every
# image decoded; then a screenshot of the demo's page is taken.
# Usage: report_browser.sh INDUCT_TOOL CHROMIUM WORKDIR
set -euo pipefail
tool=$1 chromium=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
"$tool" demo --out "$work/demo" --steps 4 --tokens 20000 --prompts 4 --examples 0,1 --layers 1 --width 16 --heads 2 \
  --context 32 --threads 1 > "$work/demo.log" 2>&1
printf '%s\n' '{"models": [{"layers": 1, "width": 16, "heads": 2}], "tokens": [2048, 4096],' \
  ' "base": {"context": 32, "batch": 4, "prompts": 4, "examples": [0, 1]}}' > "$work/grid.json"
"$tool" sweep --grid "$work/grid.json" --out "$work/sweep" --threads 1 > "$work/sweep.log" 2>&1
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$work/profile"
       --virtual-time-budget=10000)
: > "$work/chromium.log"
# check_page DIR MIN_IMAGES: DIR/report.html holds no script, and in Chromium each of its images (at least
# MIN_IMAGES) decodes, with no console error. The probe appended to a copy counts the images and those that
# decoded (naturalWidth > 0) into the body's data attributes.
check_page() {
  local dir=$1 least=$2 images loaded
  test -s "$dir/report.html"
  if grep -q "<script" "$dir/report.html"; then echo "$dir/report.html holds a script" >&2; exit 1; fi
  cp "$dir/report.html" "$dir/probe.html"
  sed -i 's#</body>#<script>addEventListener("load",()=>{const i=[...document.images];document.body.dataset.images=i.length;document.body.dataset.loaded=i.filter(x=>x.complete\&\&x.naturalWidth>0).length;});</script></body>#' \
    "$dir/probe.html"
  "$chromium" "${flags[@]}" --dump-dom "file://$dir/probe.html" > "$dir/dom.html" 2> "$dir/chromium.log"
  images=$(grep -o 'data-images="[0-9]*"' "$dir/dom.html" | grep -o '[0-9]*' || true)
  loaded=$(grep -o 'data-loaded="[0-9]*"' "$dir/dom.html" | grep -o '[0-9]*' || true)
  echo "$dir/report.html: images: ${images:-?}, decoded: ${loaded:-?}"
  if [[ -z "$images" || "$images" -lt "$least" || "$images" != "$loaded" ]]; then
    echo "not every image of $dir/report.html decoded in Chromium" >&2
    tail -20 "$dir/chromium.log" >&2
    exit 1
  fi
  # Errors the page itself raised would show as console messages in the log.
  if grep -E "CONSOLE.*(Error|error)" "$dir/chromium.log"; then echo "console errors in $dir/report.html" >&2; exit 1; fi
  cat "$dir/chromium.log" >> "$work/chromium.log"
}
check_page "$work/demo" 4
# The models x tokens sweep's page: its two heatmaps (emergence.svg, stepwise_vs_direct.svg) and its heading.
check_page "$work/sweep" 2
grep -q "<h1>Scaling sweep: models x training tokens</h1>" "$work/sweep/report.html"
"$chromium" "${flags[@]}" --window-size=1200,2400 --screenshot="$work/report.png" "file://$work/demo/report.html" \
  >> "$work/chromium.log" 2>&1
test -s "$work/report.png"
echo "screenshot: $work/report.png"

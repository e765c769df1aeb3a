#!/usr/bin/env bash
# report.html in a real browser (issue 18): a demo at toy size writes its report; headless Chromium loads a
# copy with a probe script appended, which records whether every image decoded; then a screenshot is taken.
# Usage: report_browser.sh INDUCT_TOOL CHROMIUM WORKDIR
set -euo pipefail
tool=$1 chromium=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
"$tool" demo --out "$work/demo" --steps 4 --tokens 20000 --prompts 4 --examples 0,1 --layers 1 --width 16 --heads 2 \
  --context 32 --threads 1 > "$work/demo.log" 2>&1
test -s "$work/demo/report.html"
if grep -q "<script" "$work/demo/report.html"; then echo "report.html holds a script" >&2; exit 1; fi
# The probe: count images and those that decoded (naturalWidth > 0), into the body's data attributes.
cp "$work/demo/report.html" "$work/demo/probe.html"
sed -i 's#</body>#<script>addEventListener("load",()=>{const i=[...document.images];document.body.dataset.images=i.length;document.body.dataset.loaded=i.filter(x=>x.complete\&\&x.naturalWidth>0).length;});</script></body>#' \
  "$work/demo/probe.html"
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$work/profile"
       --virtual-time-budget=10000)
"$chromium" "${flags[@]}" --dump-dom "file://$work/demo/probe.html" > "$work/dom.html" 2> "$work/chromium.log"
images=$(grep -o 'data-images="[0-9]*"' "$work/dom.html" | grep -o '[0-9]*' || true)
loaded=$(grep -o 'data-loaded="[0-9]*"' "$work/dom.html" | grep -o '[0-9]*' || true)
echo "images: ${images:-?}, decoded: ${loaded:-?}"
if [[ -z "$images" || "$images" -lt 4 || "$images" != "$loaded" ]]; then
  echo "not every image of report.html decoded in Chromium" >&2
  tail -20 "$work/chromium.log" >&2
  exit 1
fi
# Errors the page itself raised would show as console messages in the log.
if grep -E "CONSOLE.*(Error|error)" "$work/chromium.log"; then echo "console errors" >&2; exit 1; fi
"$chromium" "${flags[@]}" --window-size=1200,2400 --screenshot="$work/report.png" "file://$work/demo/report.html" \
  >> "$work/chromium.log" 2>&1
test -s "$work/report.png"
echo "screenshot: $work/report.png"

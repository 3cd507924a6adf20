#!/usr/bin/env bash
# Issue 11's acceptance, from a fresh clone: lab demo, lab run proactive and a
# five-second lab trace each leave a report.html; lab run manual --repeat 3
# gives medians and ranges; lab compare writes compare.html. Prints the
# figures; leaves the runs in $OUT (default /tmp/lab-pictures) for the browser
# test data and the README screenshots.
#   bash scripts/pictures-check.sh [OUT]
set -euo pipefail
out=${1:-/tmp/lab-pictures}
repo=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"
git clone -q "$repo" "$out/clone"
cd "$out/clone"
export LAB_PROFILE=${LAB_PROFILE:-debian}
stamp() { date +%s.%N; }
step() { echo "== $*" >&2; }
npm ci --silent >/dev/null 2>&1
lab() { node dist/lab.js "$@"; }
trap 'lab down >/dev/null 2>&1 || true' EXIT

step "lab demo"
t=$(stamp); lab demo --json > "$out/demo.json"; echo "demo: $(echo "$(stamp) - $t" | bc) s" >&2
lab down >/dev/null

step "lab up and lab run proactive"
lab up >/dev/null
t=$(stamp); lab run proactive --json > "$out/proactive.json" || true; echo "proactive: $(echo "$(stamp) - $t" | bc) s" >&2

step "lab trace --duration 5 --filter '*compact*'"
t=$(stamp); lab trace --json --duration 5 --filter '*compact*' -- sh -c 'echo 1 > /proc/sys/vm/compact_memory' > "$out/trace.json"; echo "trace: $(echo "$(stamp) - $t" | bc) s" >&2

step "lab run manual --repeat 3"
t=$(stamp); lab run manual --repeat 3 --json > "$out/repeat.json" || true; echo "repeat: $(echo "$(stamp) - $t" | bc) s" >&2
lab down >/dev/null

step "lab compare manual (3 runs) against proactive"
manual=$(node -e 'const r=require(process.argv[1]); console.log(r.runs.map(x=>require("path").basename(x.runDir)).join(","))' "$out/repeat.json")
proactive=$(node -e 'console.log(require("path").basename(require(process.argv[1]).runDir))' "$out/proactive.json")
lab compare "$manual" "$proactive" --html "$out/compare.html" | tee "$out/compare.txt"

for f in demo proactive trace; do
  node -e 'const r=require(process.argv[1]); const fs=require("fs"); console.log(process.argv[2]+": "+r.report+" "+fs.statSync(r.report).size+" bytes")' "$out/$f.json" "$f"
done
step "the three reports in chromium (test/integration/report-browser.test.ts)"
files=$(for f in demo proactive trace; do node -e 'console.log(require(process.argv[1]).report)' "$out/$f.json"; done | paste -sd,)
LAB_REPORT_FILES="$files" LAB_SCREENSHOTS="$out/screenshots" npx vitest run test/integration/report-browser.test.ts 2>&1 | tail -3
echo "runs are in $out/clone/.lab/runs"

#!/usr/bin/env bash
# Two cold builds of one lab in two places, compared byte for byte.
#
#   scripts/reproducibility-check.sh [--keep] [LAB_JSON_DIR]
#
# Each build has its own empty store (LAB_CACHE), its own lab directory, its
# own host name (unshare --uts) and its own user-visible time of day; both
# run `lab build` from the same lab.json (LAB_JSON_DIR, default: a fresh
# `lab init`). Then `lab lock` in the first and `lab verify` in the second:
# the script exits 0 only when verify says every pinned hash is the same.
# Takes two cold kernel builds (about 20 minutes on 2 cores).
set -euo pipefail
keep=0
if [[ "${1:-}" == --keep ]]; then keep=1; shift; fi
repo="$(cd "$(dirname "$0")/.." && pwd)"
lab="node $repo/dist/cli/main.js"
work="$(mktemp -d /var/tmp/lab-repro.XXXXXX)"
[[ $keep == 1 ]] || trap 'rm -rf "$work"' EXIT
echo "work: $work"

mkdir -p "$work/one/course" "$work/two/elsewhere/course"
if [[ -n "${1:-}" ]]; then
  cp "$1/lab.json" "$work/one/course/"
else
  (cd "$work/one/course" && $lab init >/dev/null)
fi
cp "$work/one/course/lab.json" "$work/two/elsewhere/course/"

build() { # NAME DIR HOST
  local start=$SECONDS
  (cd "$2" && LAB_CACHE="$1-store" unshare --uts sh -c "hostname $3 && exec $lab build --json" >"$1-build.json" 2>"$1-build.log")
  echo "$(basename "$1"): lab build in $((SECONDS - start)) s on host $3"
}
build "$work/one/s" "$work/one/course" student-one
build "$work/two/s" "$work/two/elsewhere/course" student-two

(cd "$work/one/course" && LAB_CACHE="$work/one/s-store" $lab lock)
cp "$work/one/course/lab.lock" "$work/two/elsewhere/course/"
cd "$work/two/elsewhere/course"
LAB_CACHE="$work/two/s-store" $lab verify

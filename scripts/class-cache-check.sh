#!/usr/bin/env bash
# The class cache's acceptance, with the figures the closing note quotes:
#
#   bash scripts/class-cache-check.sh [--cold] [--rebuild] [--keep]
#
# 1. the teacher: lab init (the compaction course), lab lock, lab publish DIR,
#    in this machine's store (LAB_CACHE, else ~/.cache/lab);
# 2. DIR served on 127.0.0.1 by python3's http.server (any static server does);
# 3. a student: lab.json naming the cache, lab.lock beside it, an empty store:
#    lab demo, timed, fetches, checks and records the seed's backtraces;
# 4. --cold: the same lab demo with --no-cache in another empty store, the
#    cold build it replaces (20-30 minutes on 2 cores);
# 5. --rebuild: lab verify --rebuild in the student's lab, every item built
#    from source in an empty store and compared with lab.lock (as long again).
# Prints each step's wall time; exits non-zero at the first failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
lab="node $repo/dist/lab.js"
cold=0
rebuild=0
keep=0
for a in "$@"; do
  case "$a" in
    --cold) cold=1 ;;
    --rebuild) rebuild=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--cold] [--rebuild] [--keep]" >&2; exit 2 ;;
  esac
done
[ -f "$repo/dist/lab.js" ] || { echo "class-cache-check: build lab first: npm run build" >&2; exit 2; }
command -v python3 >/dev/null || { echo "class-cache-check: python3 is missing (it serves the cache)" >&2; exit 2; }

work=$(mktemp -d /var/tmp/lab-cache-check.XXXXXX)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  for d in "$work"/student*; do [ -d "$d" ] && (cd "$d" && LAB_CACHE=$work/store-${d##*student} $lab down >/dev/null 2>&1 || true); done
  if [ $keep -eq 0 ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=lib/step.sh
. "$repo/scripts/lib/step.sh"

mkdir -p "$work/teacher"
cd "$work/teacher"
step "teacher: lab init" $lab init
step "teacher: lab lock" $lab lock
step "teacher: lab publish" $lab publish "$work/cache"
du -sh "$work/cache"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$work/cache" "$port" >"$work/http.log" 2>&1 &
server=$!
sleep 1
url="http://127.0.0.1:$port/"

student() { # name, then lab.json's cache
  mkdir -p "$work/student$1"
  sed "0,/{/s//{\n  \"cache\": \"$2\",/" "$work/teacher/lab.json" >"$work/student$1/lab.json"
  cp "$work/teacher/lab.lock" "$work/student$1/"
}

student 1 "${url//\//\\/}"
cd "$work/student1"
step "student, empty store: lab demo from the class cache" env LAB_CACHE="$work/store-1" $lab demo --gdb-port "$(free_port)"
echo "fetched: $(python3 -c 'import json; b=json.load(open(".lab/build.json")); print(", ".join("%s %d MiB" % (e["name"], e["bytes"] >> 20) for e in b["fetched"]["entries"]))')"
echo "store kinds: $(ls "$work/store-1" | tr '\n' ' ')"
LAB_CACHE="$work/store-1" $lab down >/dev/null

if [ $cold -eq 1 ]; then
  student 2 "${url//\//\\/}"
  cd "$work/student2"
  step "student, empty store: lab demo --no-cache (the cold build)" env LAB_CACHE="$work/store-2" $lab demo --no-cache --gdb-port "$(free_port)"
  LAB_CACHE="$work/store-2" $lab down >/dev/null
fi

if [ $rebuild -eq 1 ]; then
  cd "$work/student1"
  step "student: lab verify --rebuild (every item from source, compared with lab.lock)" env LAB_CACHE="$work/store-1" $lab verify --rebuild
fi

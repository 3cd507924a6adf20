#!/usr/bin/env bash
# The arm64 Debian image end to end, too slow for the test suite: on an
# x86_64 host its second stage runs in a TCG guest for a quarter of an hour.
#
#   sudo bash scripts/arm64-debian-image.sh [--twice] [--keep]
#
# In the machine's store (the arm64 kernel is built there if it is not):
# lab build --arch arm64 --rootfs debian (debootstrap --foreign, then the
# second stage in the guest), lab up, a command over ssh, and the kcompactd
# scenario; each step's time and the image's sha256 are printed. --twice
# then moves the image's store entry aside, builds it again from nothing and
# fails unless the two images are the same bytes (the entry moved aside is
# put back either way). Needs root and install-deps.sh arm64.
set -euo pipefail
twice=0 keep=0
for a in "$@"; do
  case $a in
    --twice) twice=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--twice] [--keep]" >&2; exit 2 ;;
  esac
done
repo="$(cd "$(dirname "$0")/.." && pwd)"
lab=(node "$repo/dist/lab.js")
work="$(mktemp -d /var/tmp/lab-arm64-image.XXXXXX)"
aside=""
cleanup() {
  (cd "$work" && "${lab[@]}" down >/dev/null 2>&1) || true
  if [[ -n $aside && -d $aside ]]; then rm -rf "${aside%.aside}" && mv "$aside" "${aside%.aside}"; fi
  [[ $keep == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT
echo "work: $work"
step() { # NAME COMMAND...
  local name=$1 start=$SECONDS
  shift
  if ! (cd "$work" && "$@" >"$work/$name.out" 2>"$work/$name.err"); then
    echo "$name: FAILED after $((SECONDS - start)) s"
    tail -5 "$work/$name.err" >&2
    exit 1
  fi
  echo "$name: ok in $((SECONDS - start)) s"
}
image_of() { node -e 'const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(b.rootfs.file)' "$1"; }

step build "${lab[@]}" build --arch arm64 --rootfs debian --json
first=$(image_of "$work/build.out")
echo "image: $first"
echo "sha256: $(sha256sum "$first" | cut -d' ' -f1)"
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
step up "${lab[@]}" up --gdb-port "$port"
step exec "${lab[@]}" exec -- sh -c 'uname -m; . /etc/os-release; echo "$PRETTY_NAME"; systemctl is-system-running || true'
cat "$work/exec.out"
step scenario "${lab[@]}" run kcompactd
tail -3 "$work/scenario.out"
step down "${lab[@]}" down

if [[ $twice == 1 ]]; then
  entry=$(dirname "$first")
  aside="$entry.aside"
  mv "$entry" "$aside"
  step rebuild "${lab[@]}" build --arch arm64 --rootfs debian --json
  again=$(image_of "$work/rebuild.out")
  a=$(sha256sum "$aside/$(basename "$first")" | cut -d' ' -f1)
  b=$(sha256sum "$again" | cut -d' ' -f1)
  echo "first build:  $a"
  echo "second build: $b"
  [[ $a == "$b" ]] || { echo "the two arm64 Debian images differ" >&2; exit 1; }
  echo "the two arm64 Debian images are the same bytes"
fi

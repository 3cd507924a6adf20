#!/usr/bin/env bash
# Two cold builds of one lab in two places, compared byte for byte.
#
#   scripts/reproducibility-check.sh [--keep] [--no-fragment-change]
#
# Writes the course lab.json (lab init), then builds it twice, each with its
# own empty store (LAB_CACHE), its own lab directory at a different path, and
# its own host name (unshare --uts), minutes apart. `lab lock` in the first,
# `lab verify` in the second: the script fails unless verify says every
# pinned hash is the same. Then one line is added to a fragment in a third
# directory, and `lab verify` there must name the fragment, the .config and
# the kernel. Takes three cold kernel builds (30-40 minutes on 2 cores).
set -euo pipefail
keep=0 fragment=1
for a in "$@"; do
  case $a in
    --keep) keep=1 ;;
    --no-fragment-change) fragment=0 ;;
    *) echo "usage: $0 [--keep] [--no-fragment-change]" >&2; exit 2 ;;
  esac
done
repo="$(cd "$(dirname "$0")/.." && pwd)"
lab=(node "$repo/dist/lab.js")
work="$(mktemp -d /var/tmp/lab-repro.XXXXXX)"
[[ $keep == 1 ]] || trap 'rm -rf "$work"' EXIT
echo "work: $work"
one="$work/one/course" two="$work/two/elsewhere/course"
mkdir -p "$one" "$two"
(cd "$one" && "${lab[@]}" init >/dev/null)
cp "$one/lab.json" "$two/"

build() { # STORE DIR HOST
  local start=$SECONDS
  (cd "$2" && LAB_CACHE="$1" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$3" "${lab[@]}" build --json >"$2/build.out" 2>"$2/build.err")
  echo "lab build in $2: $((SECONDS - start)) s on host $3 with store $1"
}
build "$work/one/store" "$one" student-one
build "$work/two/other-store" "$two" student-two

(cd "$one" && LAB_CACHE="$work/one/store" "${lab[@]}" lock)
cp "$one/lab.lock" "$two/"
echo "--- lab verify in $two"
(cd "$two" && LAB_CACHE="$work/two/other-store" "${lab[@]}" verify)
for f in bzImage vmlinux; do sha256sum "$work"/one/store/kernels/*/$f "$work"/two/other-store/kernels/*/$f; done
sha256sum "$work"/one/store/rootfs/*/* "$work"/two/other-store/rootfs/*/*

if [[ $fragment == 1 ]]; then
  three="$work/three/course"
  mkdir -p "$three"
  cp "$one/lab.lock" "$three/"
  cp "$repo/kernel-configs/lab.config" "$three/lab.config"
  echo 'CONFIG_LOCALVERSION="-course"' >>"$three/lab.config"
  # the same lab.json, its lab.config now the one beside it
  sed 's/"fragments": \["lab.config"/"fragments": ["\.\/lab.config"/' "$one/lab.json" >"$three/lab.json"
  echo "--- lab verify after one added fragment line (must differ)"
  start=$SECONDS
  if (cd "$three" && LAB_CACHE="$work/two/other-store" "${lab[@]}" verify); then
    echo "lab verify said all same after a fragment changed" >&2
    exit 1
  fi
  echo "(verify with the changed fragment: $((SECONDS - start)) s, one cold kernel build)"
fi

#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages lab needs, as deps/host-packages.txt lists them.
#
#   bash scripts/install-deps.sh            what lab itself runs: build (QEMU from source
#                                           too), up, debug, trace, scenarios, the class lab
#   bash scripts/install-deps.sh --tests    that, and the test stack (a private Slurm with
#                                           its database, chromium for the report's pages)
#   bash scripts/install-deps.sh PURPOSE…   only these (qemu, debug, kernel, initramfs,
#                                           image, qemu-build, postmortem, cluster, tests, arm64)
#   bash scripts/install-deps.sh arm64      arm64 guests: Debian's qemu-system-arm and gdb-multiarch
#   --list                                  print the packages, install nothing
# A purpose marked "?" in the list is installed only where the archive has the package.
set -euo pipefail
cd "$(dirname "$0")/.."
list=deps/host-packages.txt
# test/unit/install-deps.test.ts holds these against what lab doctor asks of every profile
run_purposes=(qemu debug kernel initramfs image qemu-build postmortem)
test_purposes=(cluster tests)
# asked for by name until arm64 guests are part of lab's default install
extra_purposes=(arm64)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

list_only=0
purposes=()
for arg in "$@"; do
  case "$arg" in
    --list) list_only=1 ;;
    --tests) purposes+=("${run_purposes[@]}" "${test_purposes[@]}") ;;
    -*) echo "install-deps: unknown option $arg: use --tests or --list, or name purposes" >&2; exit 2 ;;
    *) purposes+=("$arg") ;;
  esac
done
if [ ${#purposes[@]} -eq 0 ]; then purposes=("${run_purposes[@]}"); fi
known=" ${run_purposes[*]} ${test_purposes[*]} ${extra_purposes[*]} "
for p in "${purposes[@]}"; do
  if [[ "$known" != *" $p "* ]]; then echo "install-deps: no purpose \"$p\": choose from$known" >&2; exit 2; fi
done

wanted() { # purpose
  local p=${1%\?}
  for w in "${purposes[@]}"; do [ "$w" = "$p" ] && return 0; done
  return 1
}
required=()
optional=()
while read -r purpose package _; do
  case "$purpose" in '' | '#'*) continue ;; esac
  wanted "$purpose" || continue
  if [[ "$purpose" == *'?' ]]; then optional+=("$package"); else required+=("$package"); fi
done <"$list"

if [ $list_only -eq 1 ]; then
  printf '%s\n' "${required[@]}" "${optional[@]/%/?}" | grep -v '^?$' | sort -u
  exit 0
fi
$sudo apt-get update -q
for package in "${optional[@]}"; do
  if apt-cache show "$package" >/dev/null 2>&1; then required+=("$package"); else echo "install-deps: $package is not in this archive; skipped"; fi
done
# sort -u: several purposes name the same package
mapfile -t unique < <(printf '%s\n' "${required[@]}" | sort -u)
echo "install-deps: ${#unique[@]} packages for ${purposes[*]}"
$sudo apt-get install -y -q --no-install-recommends "${unique[@]}"

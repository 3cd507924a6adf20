#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages lab needs, as deps/host-packages.txt lists
# them: every purpose, or only the ones named (qemu, debug, kernel, initramfs,
# image, qemu-build, cluster, tests). A purpose marked "?" there is installed only where
# the archive has the package (linux-source-6.1 is Debian 12's).
set -euo pipefail
cd "$(dirname "$0")/.."
list=deps/host-packages.txt
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

wanted() { # purpose
  [ $# -eq 0 ] && return 0
  local p=$1; shift
  for w in "${purposes[@]}"; do [ "$w" = "${p%\?}" ] && return 0; done
  return 1
}
purposes=("$@")
required=()
optional=()
while read -r purpose package _; do
  case "$purpose" in ''|'#'*) continue ;; esac
  if [ ${#purposes[@]} -gt 0 ] && ! wanted "$purpose"; then continue; fi
  if [[ "$purpose" == *'?' ]]; then optional+=("$package"); else required+=("$package"); fi
done < "$list"

$sudo apt-get update -q
for package in "${optional[@]}"; do
  if apt-cache show "$package" >/dev/null 2>&1; then required+=("$package"); else echo "install-deps: $package is not in this archive; skipped"; fi
done
# sort -u: several purposes name the same package
mapfile -t unique < <(printf '%s\n' "${required[@]}" | sort -u)
$sudo apt-get install -y -q --no-install-recommends "${unique[@]}"

#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages lab needs: QEMU, gdb, a static busybox for
# the initramfs, the kernel's and QEMU's build dependencies, and (on Debian 12)
# the linux-source-6.1 package the "debian" profile builds from.
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
packages=(
  qemu-system-x86 qemu-utils gdb busybox-static
  build-essential flex bison bc libelf-dev libssl-dev python3 xz-utils
  procps iproute2
  # building QEMU from source (lab build --qemu-build, the 6.6 profile)
  ninja-build meson pkg-config bzip2 libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev python3-venv
)
$sudo apt-get update -q
if apt-cache show linux-source-6.1 >/dev/null 2>&1; then packages+=(linux-source-6.1); fi
$sudo apt-get install -y -q --no-install-recommends "${packages[@]}"

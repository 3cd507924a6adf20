#!/usr/bin/env bash
# The fresh-machine check: README's two Quick-start lines, exactly as written,
# in a clean Debian root, where nothing was installed by hand; then lab as a
# course repository gets it (README's "Using lab from a course repository").
#
#   sudo bash scripts/fresh-machine-test.sh [--suite bookworm|trixie] [--keep] [--line 1|2|course|lock|verify[,…]]
#        [--class DIR]
#
# 1. a clean root of the suite (Debian 12 bookworm, the default, or Debian 13
#    trixie) made with debootstrap (cached as a tarball in
#    ~/.cache/lab-fresh-machine; LAB_FRESH_CACHE overrides), unpacked anew;
# 2. this machine's Node.js (node, npm and node's headers, for node-pty) copied
#    in, as a newcomer would have installed it; this machine's local CA
#    certificates, so the root reaches the npm registry as the host does;
# 3. /proc, /sys and /dev bind-mounted; the repository's HEAD cloned inside;
# 4. each Quick-start line run in its own login shell, with no stdin;
# 5. the course: the clone's npm pack installed in an empty /root/course, then
#    install-deps.sh from the package, lab init, lab doctor and lab demo there,
#    which must write /root/course/.lab and nothing inside node_modules/lab;
# 6. only when asked (--line lock or verify, with --class DIR holding lab.json):
#    lab's run dependencies installed, then lab lock (writes DIR/lab.lock) or
#    lab verify against DIR/lab.lock, in the root's own empty store: the same
#    lab built on two Debian releases, compared item by item.
# Prints each step's time; exits non-zero at the first failure. Everything the
# run started inside the root (a VM left up by lab demo) is killed, and the
# mounts undone, on every exit path.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keep=0
only=""
suite=bookworm
class=""
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --line) only=$2; shift ;;
    --suite) suite=$2; shift ;;
    --class) class=$(cd "$2" && pwd); shift ;;
    *) echo "usage: $0 [--suite bookworm|trixie] [--keep] [--line 1|2|course|lock|verify[,…]] [--class DIR]" >&2; exit 2 ;;
  esac
  shift
done
for l in ${only//,/ }; do
  case "$l" in
    1 | 2 | course) ;;
    lock | verify) [ -f "$class/lab.json" ] || { echo "fresh-machine-test: --line $l needs --class DIR with a lab.json" >&2; exit 2; } ;;
    *) echo "fresh-machine-test: no step \"$l\" for --line: give 1, 2, course, lock or verify" >&2; exit 2 ;;
  esac
done
case "$suite" in
  bookworm) release="Debian 12" ;;
  trixie) release="Debian 13" ;;
  *) echo "fresh-machine-test: no suite \"$suite\": use bookworm (Debian 12) or trixie (Debian 13)" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then echo "fresh-machine-test: needs root (debootstrap, chroot, mounts): run it with sudo" >&2; exit 2; fi
for tool in debootstrap git node; do
  command -v "$tool" >/dev/null || { echo "fresh-machine-test: $tool is missing on the host: bash scripts/install-deps.sh" >&2; exit 2; }
done

cache=${LAB_FRESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lab-fresh-machine}
mirror=${LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/$suite-root.tar
root=$(mktemp -d /var/tmp/lab-fresh.XXXXXX)
t_start=$(date +%s)

# shellcheck source=lib/step.sh
. "$repo/scripts/lib/step.sh"

cleanup() {
  local pid
  # what ran inside the root: QEMU daemonizes, so it is no child of ours
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    if [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ]; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  sleep 1
  for m in dev/pts dev sys proc; do umount -l "$root/$m" 2>/dev/null || true; done
  umount -l "$root" 2>/dev/null || true
  if [ $keep -eq 0 ]; then rm -rf --one-file-system "$root"; else echo "kept the root in $root"; fi
  echo "== total $(($(date +%s) - t_start)) s"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_root() {
  mkdir -p "$cache"
  local tmp
  tmp=$(mktemp -d "$cache/debootstrap.XXXXXX")
  debootstrap "$suite" "$tmp" "$mirror" >"$cache/$suite-debootstrap.log" 2>&1 || { tail -5 "$cache/$suite-debootstrap.log"; rm -rf "$tmp"; return 1; }
  # a fresh install has the security and updates suites too
  cat >"$tmp/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
EOF
  tar -C "$tmp" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$tmp"
}

unpack_root() {
  tar -C "$root" -xf "$tarball"
  chmod 755 "$root" # the tarball's "." came from mktemp (0700); apt drops to _apt, which must get in
}

bring_node() {
  local node prefix
  node=$(readlink -f "$(command -v node)")
  prefix=$(dirname "$(dirname "$node")")
  install -D -m 755 "$node" "$root/usr/bin/node"
  mkdir -p "$root/usr/lib/node_modules" "$root/usr/include" "$root/usr/etc"
  cp -a "$prefix/lib/node_modules/npm" "$root/usr/lib/node_modules/"
  cp -a "$prefix/include/node" "$root/usr/include/"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  # node-pty compiles against these headers: no download of node's headers
  printf 'nodedir=/usr\ncafile=/etc/ssl/certs/ca-certificates.crt\n' >"$root/usr/etc/npmrc"
}

bring_network() {
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
  in_root "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ca-certificates >/dev/null && update-ca-certificates >/dev/null"
}

mount_all() {
  # the root a mount point of its own: bwrap (lab's build root) needs pivot_root, which a plain chroot refuses
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
}

clone_repo() {
  git clone -q "$repo" "$root/root/lab"
  echo "cloned $(git -C "$root/root/lab" log --oneline -1)"
}

in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -lc "$1" </dev/null
}

course_repo() {
  # the Quick start's VM (if it ran) holds the gdb port: stop it first
  in_root "cd /root/lab && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && { npx lab down || true; } && npm pack --pack-destination /root" &&
    in_root "mkdir /root/course && cd /root/course && echo '{\"name\": \"course\", \"private\": true}' >package.json &&
      npm i --no-audit --no-fund /root/lab-*.tgz && bash node_modules/lab/scripts/install-deps.sh &&
      npx lab init && npx lab doctor && npx lab demo &&
      test -f .lab/build.json && test ! -e node_modules/lab/.lab && test ! -e node_modules/lab/lab.json"
}

class_lab() { # lock or verify: the class's lab.json built in this root's own empty store
  mkdir -p "$root/root/class"
  cp "$class/lab.json" "$root/root/class/"
  [ "$1" = lock ] || cp "$class/lab.lock" "$root/root/class/"
  for f in "$class"/*.config; do [ -e "$f" ] && cp "$f" "$root/root/class/"; done
  in_root "before=\$(dpkg-query -W | wc -l) && cd /root/lab && bash scripts/install-deps.sh >/dev/null &&
    echo \"install-deps.sh: \$((\$(dpkg-query -W | wc -l) - before)) packages installed\" &&
    npm ci --no-audit --no-fund && cd /root/class && node /root/lab/dist/lab.js $1" || return $?
  if [ "$1" = lock ]; then cp "$root/root/class/lab.lock" "$class/lab.lock"; fi
}

quickstart_lines() {
  # the two command lines of README's Quick start block
  awk '/^## Quick start/{q=1} q&&/^```sh/{c=1;next} c&&/^```/{exit} c&&NF' "$repo/README.md"
}

chosen() { # a step's name: 1, 2 or course; --line takes a comma-separated list
  [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]
}

mapfile -t lines < <(quickstart_lines)
if [ ${#lines[@]} -ne 2 ]; then echo "fresh-machine-test: README's Quick start should have 2 command lines, it has ${#lines[@]}" >&2; exit 1; fi

if [ ! -f "$tarball" ]; then step "debootstrap a clean $release root ($suite, cached)" make_root; fi
step "unpack the clean root" unpack_root
step "mount /proc, /sys, /dev" mount_all
step "bring this machine's Node.js $(node --version)" bring_node
step "bring this machine's CA certificates" bring_network
step "clone the repository" clone_repo
n=0
ran=0
for line in "${lines[@]}"; do
  n=$((n + 1))
  if ! chosen "$n"; then continue; fi
  step "README line $n: $line" in_root "cd /root/lab && $line"
  ran=$((ran + 1))
done
if chosen course; then
  step "a course repository: npm i lab's tarball, lab init, lab doctor, lab demo" course_repo
fi
for l in lock verify; do
  if [ -n "$only" ] && chosen "$l"; then
    step "lab $l of $class in this root's empty store" class_lab "$l"
  fi
done
what=()
[ "$ran" -gt 0 ] && what+=("$ran of README's ${#lines[@]} Quick-start lines")
chosen course && what+=("lab installed in a course repository")
[ -n "$only" ] && chosen lock && what+=("lab lock")
[ -n "$only" ] && chosen verify && what+=("lab verify: every item the same")
echo "fresh-machine-test: passed in a clean $release root ($suite): $(IFS=,; echo "${what[*]}" | sed 's/,/, /g')"

# Sourced by lab's check scripts (set -e): step NAME CMD... runs CMD, prints
# "== NAME: ok in N s" or "FAILED (exit N)", and exits with CMD's status when it fails.
step() {
  local name=$1 t0 rc
  shift
  t0=$(date +%s)
  echo "== $name"
  set +e
  "$@"
  rc=$?
  set -e
  printf '== %s: %s in %d s\n' "$name" "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")" $(($(date +%s) - t0))
  if [ $rc -ne 0 ]; then exit $rc; fi
}

#!/usr/bin/env bash
# A private one-node Slurm in a directory, for lab's tests and for trying
# `lab matrix --slurm` on one machine: munged, MariaDB (slurmdbd's database,
# so that sacct works), slurmdbd, slurmctld and slurmd, all on 127.0.0.1 and
# private ports, configured for this machine's cores and memory. Nothing is
# written outside DIR; the system's own Slurm, if any, is left alone.
#   bash scripts/local-slurm.sh start DIR   prints SLURM_CONF=DIR/etc/slurm.conf
#   bash scripts/local-slurm.sh stop DIR
# The packages come from deps/host-packages.txt (purpose "tests").
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stop() {
  for name in slurmd slurmctld slurmdbd mariadbd munged; do
    local pidfile="$dir/run/$name.pid"
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi
[ "$cmd" = start ] || { echo "$0: unknown command $cmd (start or stop)" >&2; exit 2; }

for p in munged mungekey mariadbd mariadb-install-db slurmdbd slurmctld slurmd sacctmgr sinfo; do
  command -v "$p" >/dev/null || { echo "local-slurm: $p is not installed: bash scripts/install-deps.sh tests" >&2; exit 3; }
done

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
wait_for() { # what, command...
  local what=$1; shift
  for _ in $(seq 100); do timeout 10 "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "local-slurm: $what did not come up; see $dir/log" >&2
  stop
  exit 1
}

mkdir -p "$dir"/{etc,run,log,munge,mysql,state,spool}
chmod 700 "$dir/munge"
host=$(hostname)
cores=$(nproc)
memory=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))
db_port=$(free_port); dbd_port=$(free_port); ctld_port=$(free_port); d_port=$(free_port)

# munge: a key of our own and a socket in DIR
[ -f "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key"
chmod 600 "$dir/munge/munge.key"
munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" --pid-file="$dir/run/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" --force
wait_for munged test -S "$dir/munge/munge.socket"

# MariaDB for slurmdbd, on 127.0.0.1 only
if [ ! -d "$dir/mysql/mysql" ]; then
  mariadb-install-db --datadir="$dir/mysql" --user="$(id -un)" --auth-root-authentication-method=normal --skip-test-db >"$dir/log/mariadb-install.log" 2>&1
fi
setsid nohup mariadbd --no-defaults --datadir="$dir/mysql" --socket="$dir/run/mysqld.sock" --port="$db_port" \
  --bind-address=127.0.0.1 --pid-file="$dir/run/mariadbd.pid" --user="$(id -un)" --log-error="$dir/log/mariadb.log" \
  --skip-name-resolve=0 >/dev/null 2>&1 </dev/null &
wait_for MariaDB test -S "$dir/run/mysqld.sock"
# slurmdbd 24.11 (Debian 13) fails its first query on a connection where it has just created
# its database (MariaDB 11.8, error 5027 "number of columns"), and works once it exists
wait_for "slurmdbd's database" mariadb --no-defaults --socket="$dir/run/mysqld.sock" -uroot \
  -e "create database if not exists slurm_acct_db"

cat >"$dir/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$dbd_port
SlurmUser=$(id -un)
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=root
StorageLoc=slurm_acct_db
PidFile=$dir/run/slurmdbd.pid
LogFile=$dir/log/slurmdbd.log
EOF
chmod 600 "$dir/etc/slurmdbd.conf"

cat >"$dir/etc/slurm.conf" <<EOF
ClusterName=labtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=3600
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$dbd_port
AccountingStoragePass=$dir/munge/munge.socket
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cores RealMemory=$memory State=UNKNOWN
PartitionName=lab Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$dir/etc/slurm.conf"

slurmdbd
wait_for slurmdbd sacctmgr -n list cluster
sacctmgr -i add cluster labtest >/dev/null 2>&1 || true
slurmctld
wait_for slurmctld scontrol ping
slurmd -N "$host"
wait_for "the node" sh -c "sinfo -h -N -o %T | grep -qx idle"
echo "SLURM_CONF=$SLURM_CONF"

"""lab's breakpoint recorder, run inside gdb against the VM's gdbstub (or KGDB).

Each breakpoint is a gdb.Breakpoint whose stop() reads the frames (and the
captures and arguments asked for), writes one JSON line and returns False, so
the guest runs on without a round trip to the driving process per hit. The
configuration is JSON in the file named by LAB_RECORDER_CONFIG:

  {"breakpoints": [{"spec": "compact_zone if cc->order > 0",
                    "location": "compact_zone", "condition": "cc->order > 0"}],
   "host": "127.0.0.1", "port": 4321, "count": 10, "max_per_break": 0,
   "captures": ["cc->order"], "args": false,
   "hits": "/path/hits.jsonl", "source_tree": "/path/to/linux"}

Events for the driver are lines starting with "@lab-event ". The last one
before gdb exits says how the recording ended: count-reached, interrupted,
target-lost or write-failed; the driver takes it from there, never guesses.
"""
import datetime
import json
import os
import time

import gdb

from .frames import backtrace
from .values import capture

SNAPSHOT_KINDS = ("buddy", "zone", "pageblocks")


def take_snapshot(kind):
    """The allocator as lab-buddy, lab-zone or lab-pageblocks read it, as data."""
    from . import commands, mm

    if kind == "buddy":
        return commands.buddy()
    if kind == "zone":
        return commands.zone_report()
    return [commands.pageblocks(name) for name, zone in mm.zones() if int(zone["spanned_pages"])]


def write_snapshots(config, when, seq):
    """Each kind asked for, one JSON line each in the snapshots file; a kind that fails records its error."""
    kinds = config.get("snapshots") or []
    if not kinds:
        return
    with open(config["snapshots_file"], "a") as f:
        for kind in kinds:
            try:
                line = {"when": when, "seq": seq, "kind": kind, "data": take_snapshot(kind)}
            except (gdb.error, gdb.MemoryError, RuntimeError) as err:
                line = {"when": when, "seq": seq, "kind": kind, "error": str(err)}
            f.write(json.dumps(line) + "\n")


def emit(event, **fields):
    fields["event"] = event
    print("@lab-event " + json.dumps(fields), flush=True)


class State:
    def __init__(self):
        self.seq = 0
        self.done = False
        self.armed_at = None
        # (event, error) when the recording must end as a failure
        self.failure = None
        # the driver's stop file ended it
        self.stopped = False


def task_cpu(task):
    """The CPU a task last ran on: task->thread_info.cpu (THREAD_INFO_IN_TASK), or task->cpu."""
    for path in (("thread_info", "cpu"), ("cpu",)):
        try:
            v = task
            for field in path:
                v = v[field]
            return int(v)
        except gdb.error:
            continue
    return None


def current_task(config):
    """(comm, pid, cpu) of the task that stopped.

    Under QEMU's gdbstub a thread is a vCPU (ptid lwp = CPU index + 1) and the
    kernel's helpers find its current task; under KGDB a thread is a task
    (ptid lwp = its pid), whose own cpu field says where it ran.
    """
    thread = gdb.selected_thread()
    if thread is None:
        return None, None, None
    pid, lwp, _tid = thread.ptid
    if config.get("via") == "kgdb":
        if lwp >= 1 << 31:  # KGDB's shadow thread for a CPU's idle task: pid -(cpu + 2)
            return "swapper", 0, (1 << 32) - lwp - 2
        try:
            task = gdb.parse_and_eval("$lx_task_by_pid(%d)" % lwp)
            comm = task["comm"].string()
        except Exception:  # helpers not loaded
            return None, lwp, None
        return comm, lwp, task_cpu(task)
    cpu = (lwp or pid) - 1
    try:
        task = gdb.parse_and_eval("$lx_current()")
        return task["comm"].string(), int(task["pid"]), cpu
    except Exception:  # helpers not loaded, or per-cpu data unreadable
        return None, None, cpu


class Recorder(gdb.Breakpoint):
    def __init__(self, request, config, out, state):
        super().__init__(request["location"])
        self.spec = request["spec"]
        self.config = config
        self.out = out
        self.state = state
        self.hits = 0
        self.max_hits = config.get("max_per_break") or 0
        # gdb parses the condition in the location's scope, so a bad one fails
        # here, before attaching; then the recorder evaluates it itself, since
        # gdb calls a Python stop() whatever the breakpoint's own condition says
        self.cond_expr = request.get("condition")
        if self.cond_expr:
            self.condition = self.cond_expr
            self.condition = None

    def site_addresses(self):
        try:
            return [loc.address for loc in self.locations if loc.enabled]
        except AttributeError:  # gdb before 13 has no locations
            return []

    def which_site(self, pc):
        addresses = self.site_addresses()
        return (addresses.index(pc) + 1 if pc in addresses else None), len(addresses)

    def stop(self):
        state = self.state
        if state.done:
            return True
        stop_file = self.config.get("stop_file")
        if stop_file and os.path.exists(stop_file):
            # the driver asked the recording to end (a timeout, Ctrl-C): stop here and detach
            state.done = True
            state.stopped = True
            return True
        if self.max_hits and self.hits >= self.max_hits:
            return False
        if self.cond_expr and not self.holds():
            return False
        config = self.config
        frames, trimmed, frame_error = backtrace(config.get("source_tree"), config.get("args", False))
        captures = {expr: capture(expr) for expr in config.get("captures", [])}
        comm, pid, cpu = current_task(config)
        pc = gdb.newest_frame().pc() if frames else None
        site, sites = self.which_site(pc)
        now = time.time()
        top = frames[0] if frames else {}
        hit = {
            "seq": state.seq + 1,
            "time": datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat(),
            "elapsed": round(now - (state.armed_at or now), 6),
            "breakpoint": self.spec,
            "function": top.get("function"),
            "file": top.get("file"),
            "line": top.get("line"),
            "cpu": cpu,
            "comm": comm,
            "pid": pid,
            "site": site,
            "sites": sites,
            "frames": frames,
            "trimmed": trimmed,
        }
        if captures:
            hit["captures"] = captures
        if frame_error:
            hit["frames_error"] = frame_error
        try:
            self.out.write(json.dumps(hit) + "\n")
            self.out.flush()
        except (OSError, ValueError) as err:
            state.failure = ("write-failed", str(err))
            state.done = True
            return True
        state.seq += 1
        self.hits += 1
        if config.get("snapshot_every") or state.seq == 1:
            try:
                write_snapshots(config, "hit", state.seq)
            except OSError as err:
                state.failure = ("write-failed", str(err))
                state.done = True
                return True
        emit("hit", seq=state.seq, breakpoint=self.spec, function=hit["function"])
        if self.max_hits and self.hits >= self.max_hits:
            emit("max-reached", breakpoint=self.spec, hits=self.hits)
            gdb.post_event(self.retire)
        count = config.get("count") or 0
        if count and state.seq >= count:
            state.done = True
            return True
        return False

    def holds(self):
        """The --break condition, in the stopped frame; one that cannot be evaluated here does not hold."""
        try:
            return bool(gdb.parse_and_eval(self.cond_expr))
        except (gdb.error, gdb.MemoryError):
            return False

    def retire(self):
        """A breakpoint that has recorded its share stops costing a stop per hit."""
        try:
            self.enabled = False
        except (gdb.error, RuntimeError):
            pass


def arm(config, out, state):
    """Creates every breakpoint before attaching: a bad name, line or condition fails here, with nothing attached."""
    recorders = []
    unknown = []
    for request in config["breakpoints"]:
        try:
            bp = Recorder(request, config, out, state)
        except gdb.error as err:
            unknown.append({"spec": request["spec"], "error": str(err)})
            continue
        # The Python API makes a pending breakpoint for a name it cannot
        # resolve; in a kernel, where every symbol is in vmlinux, that means
        # the name does not exist.
        if bp.pending:
            unknown.append({"spec": request["spec"], "error": "not found in vmlinux"})
            bp.delete()
            continue
        recorders.append(bp)
        emit("breakpoint", spec=request["spec"], sites=len(bp.site_addresses()) or None)
    return recorders, unknown


def run(config):
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("set breakpoint pending off")
    gdb.execute("set print thread-events off")
    state = State()
    out = open(config["hits"], "a")
    _recorders, unknown = arm(config, out, state)
    if unknown:
        emit("unknown", breakpoints=unknown)
        gdb.execute("quit 3")
    try:
        gdb.execute("target remote %s" % config["target"])
    except gdb.error as err:
        emit("connect-failed", error=str(err))
        gdb.execute("quit 4")
    state.armed_at = time.time()
    emit("armed")
    try:
        gdb.execute("continue")
    except gdb.error as err:  # the target went away
        emit("target-lost", error=str(err))
        gdb.execute("quit 5")
    except KeyboardInterrupt:
        pass
    if state.seq and not state.failure and not config.get("snapshot_every"):
        # the guest is stopped (at the last hit, or where the interrupt caught it): the "after" picture
        try:
            write_snapshots(config, "end", state.seq)
        except OSError as err:
            state.failure = ("write-failed", str(err))
    if state.failure:
        emit(state.failure[0], error=state.failure[1], hits=state.seq)
    elif state.done and not state.stopped:
        emit("count-reached", hits=state.seq)
    else:
        # at_hit: the stop file ended it at a breakpoint, not an interrupt (a sysrq-g under KGDB)
        emit("interrupted", hits=state.seq, at_hit=state.stopped)
    try:
        out.close()
    except OSError as err:
        if not state.failure:
            emit("write-failed", error=str(err), hits=state.seq)
            state.failure = ("write-failed", str(err))
    try:
        gdb.execute("delete")
        gdb.execute("detach")
        emit("detached", hits=state.seq)
    except gdb.error as err:
        emit("detach-failed", error=str(err))
    gdb.execute("quit 6" if state.failure else "quit 0")


def main():
    with open(os.environ["LAB_RECORDER_CONFIG"]) as f:
        config = json.load(f)
    run(config)

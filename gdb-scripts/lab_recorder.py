# lab's breakpoint recorder, run inside gdb (gdb -batch -x lab_recorder.py vmlinux).
#
# Each breakpoint is a gdb.Breakpoint whose stop() reads the frames, writes one
# JSON line and returns False, so the guest runs on without a round trip to the
# driving process per hit. The configuration comes as JSON in the file named by
# LAB_RECORDER_CONFIG:
#   {"breakpoints": [...], "port": 4321, "host": "127.0.0.1", "count": 10,
#    "hits": "/path/hits.jsonl", "source_tree": "/path/to/linux"}
# Events for the driver are printed as lines starting with "@lab-event ".
import datetime
import json
import os
import time

import gdb

# Where the kernel was entered: the frames older than these are user space or
# boot-time garbage, and are trimmed.
ENTRY_POINTS = {
    "entry_SYSCALL_64", "entry_SYSCALL_64_after_hwframe", "entry_INT80_compat",
    "ret_from_fork", "ret_from_fork_asm", "kthread", "secondary_startup_64",
    "start_kernel", "x86_64_start_kernel", "common_startup_64",
    "asm_common_interrupt", "asm_sysvec_apic_timer_interrupt", "asm_exc_page_fault",
}
MAX_FRAMES = 64


def emit(event, **fields):
    fields["event"] = event
    print("@lab-event " + json.dumps(fields), flush=True)


class State:
    seq = 0
    done = False
    armed_at = None


def relative_file(name, tree):
    if not name:
        return None
    name = os.path.normpath(name)
    if tree and name.startswith(tree.rstrip("/") + "/"):
        return name[len(tree.rstrip("/")) + 1:]
    return name


def frame_record(frame, tree):
    try:
        sal = frame.find_sal()
    except gdb.error:
        sal = None
    function = frame.name()
    if function is None and frame.function() is not None:
        function = frame.function().name
    filename = None
    line = None
    if sal is not None and sal.symtab is not None:
        filename = relative_file(sal.symtab.filename, tree)
        line = sal.line or None
    return {
        "function": function,
        "file": filename,
        "line": line,
        "pc": "0x%x" % frame.pc(),
        "inlined": frame.type() == gdb.INLINE_FRAME,
    }


def current_task():
    """comm and pid of the task on the stopped CPU, through the kernel's own gdb helpers."""
    try:
        task = gdb.parse_and_eval("$lx_current()")
        return task["comm"].string(), int(task["pid"])
    except Exception:  # helpers not loaded, or per-cpu data unreadable
        return None, None


class Recorder(gdb.Breakpoint):
    def __init__(self, spec, config, out, state):
        super().__init__(spec)
        self.spec = spec
        self.config = config
        self.out = out
        self.state = state

    def stop(self):
        state = self.state
        if state.done:
            return True
        tree = self.config.get("source_tree")
        frames = []
        trimmed = False
        frame = gdb.newest_frame()
        while frame is not None:
            record = frame_record(frame, tree)
            frames.append(record)
            if record["function"] in ENTRY_POINTS or len(frames) >= MAX_FRAMES:
                try:
                    trimmed = frame.older() is not None
                except gdb.error:
                    trimmed = True
                break
            try:
                frame = frame.older()
            except gdb.error:
                break
        comm, pid = current_task()
        state.seq += 1
        now = time.time()
        top = frames[0] if frames else {}
        hit = {
            "seq": state.seq,
            "time": datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat(),
            "elapsed": round(now - (state.armed_at or now), 6),
            "breakpoint": self.spec,
            "function": top.get("function"),
            "file": top.get("file"),
            "line": top.get("line"),
            "cpu": gdb.selected_thread().num - 1,
            "comm": comm,
            "pid": pid,
            "frames": frames,
            "trimmed": trimmed,
        }
        self.out.write(json.dumps(hit) + "\n")
        self.out.flush()
        emit("hit", seq=state.seq, breakpoint=self.spec, function=hit["function"])
        count = self.config.get("count") or 0
        if count and state.seq >= count:
            state.done = True
            return True
        return False


def main():
    with open(os.environ["LAB_RECORDER_CONFIG"]) as f:
        config = json.load(f)
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("set breakpoint pending off")
    gdb.execute("set print thread-events off")
    state = State()
    out = open(config["hits"], "a")
    unknown = []
    for spec in config["breakpoints"]:
        try:
            bp = Recorder(spec, config, out, state)
        except gdb.error as err:
            unknown.append({"spec": spec, "error": str(err)})
            continue
        # The Python API makes a pending breakpoint for a name it cannot
        # resolve; in a kernel, where every symbol is in vmlinux, that means
        # the name does not exist.
        if bp.pending:
            unknown.append({"spec": spec, "error": "not found in vmlinux"})
            bp.delete()
            continue
        emit("breakpoint", spec=spec, locations=len(bp.locations) if hasattr(bp, "locations") else None)
    if unknown:
        emit("unknown", breakpoints=unknown)
        gdb.execute("quit 3")
    try:
        gdb.execute("target remote %s:%d" % (config.get("host", "127.0.0.1"), config["port"]))
    except gdb.error as err:
        emit("connect-failed", error=str(err))
        gdb.execute("quit 4")
    state.armed_at = time.time()
    emit("armed")
    while True:
        try:
            gdb.execute("continue")
        except gdb.error as err:  # the target went away
            emit("target-lost", error=str(err))
            gdb.execute("quit 5")
        except KeyboardInterrupt:
            pass
        if state.done:
            emit("count-reached", hits=state.seq)
        else:
            emit("interrupted", hits=state.seq)
        break
    out.close()
    try:
        gdb.execute("delete")
        gdb.execute("detach")
        emit("detached", hits=state.seq)
    except gdb.error as err:
        emit("detach-failed", error=str(err))
    gdb.execute("quit 0")


main()

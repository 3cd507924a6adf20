"""A backtrace as data: one record per frame, inline frames marked."""
import json
import os

import gdb

from .values import OPTIMIZED_OUT, to_json

# Where the kernel was entered: the frames older than these are user space or
# boot-time garbage, and are trimmed (backtrace.json, shared with the guest engine).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "backtrace.json")) as _f:
    _limits = json.load(_f)
ENTRY_POINTS = set(_limits["entry_points"])
MAX_FRAMES = _limits["max_frames"]


# where lab's reproducible builds say the kernel sources are (kernel/plan.ts)
SOURCE_PREFIX = "/lab/linux"


def relative_file(name, tree):
    if not name:
        return None
    name = os.path.normpath(name)
    for root in (tree, SOURCE_PREFIX):
        if root and name.startswith(root.rstrip("/") + "/"):
            return name[len(root.rstrip("/")) + 1:]
    return name


def frame_args(frame):
    """The frame's arguments where DWARF has them: name -> value, or <optimized out>."""
    out = {}
    try:
        block = frame.block()
    except RuntimeError:
        return out
    while block is not None and block.function is None:
        block = block.superblock
    if block is None:
        return out
    for sym in block:
        if not sym.is_argument:
            continue
        try:
            out[sym.name] = to_json(frame.read_var(sym))
        except (gdb.error, gdb.MemoryError, ValueError):
            out[sym.name] = OPTIMIZED_OUT
    return out


def frame_record(frame, tree, with_args=False):
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
    record = {
        "function": function,
        "file": filename,
        "line": line,
        "pc": "0x%x" % frame.pc(),
        "inlined": frame.type() == gdb.INLINE_FRAME,
    }
    if with_args:
        record["args"] = frame_args(frame)
    return record


def backtrace(tree, with_args=False):
    """(frames, trimmed, error): the stack from the newest frame to the kernel's entry.

    A frame that cannot be read ends the walk with its error recorded; the
    frames read before it stand.
    """
    frames = []
    trimmed = False
    try:
        frame = gdb.newest_frame()
        while frame is not None:
            record = frame_record(frame, tree, with_args)
            frames.append(record)
            if record["function"] in ENTRY_POINTS or len(frames) >= MAX_FRAMES:
                try:
                    trimmed = frame.older() is not None
                except gdb.error:
                    trimmed = True
                break
            frame = frame.older()
    except (gdb.error, gdb.MemoryError, RuntimeError) as err:
        return frames, trimmed, "frame %d: %s" % (len(frames), err)
    return frames, trimmed, None

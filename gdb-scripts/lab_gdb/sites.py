"""Every address where a breakpoint would stop, read from vmlinux alone (no target).

lab debug --engine guest places one kprobe per address: gdb resolves each
--break exactly as the gdb engine would (after the prologue, every inlined
copy its own site), so both engines record at the same instructions. The
configuration is the recorder's (LAB_RECORDER_CONFIG); the answer is one line,
"@lab-event {"event": "sites", ...}".
"""

import json
import os
import re

import gdb

from .frames import relative_file
from .recorder import emit

# At a function's first instruction the frame is not set up yet: a frame-pointer
# unwind from there (the kernel's, from the probe's registers) skips the caller.
# Past the instruction that sets the frame pointer ("mov %rsp,%rbp" on x86_64,
# "mov x29, sp" on arm64) it does not; every call gets there exactly once when
# no instruction before it can branch.
PROLOGUE_SCAN = 16
INSTRUCTION = re.compile(r"\s*(?:=>\s*)?(0x[0-9a-f]+)")
# per architecture, as gdb names it: the frame pointer set, and a branch
PROLOGUES = {
    "x86-64": (
        re.compile(r"\smov\s+%rsp,%rbp\b"),
        re.compile(r"\s(j[a-z]+|call|ret|jmp|loop[a-z]*|int3|ud2)\b"),
    ),
    "aarch64": (
        re.compile(r"\smov\s+x29,\s*sp\b"),
        re.compile(r"\s(b|bl|br|blr[a-z]*|br[a-z]+|ret[a-z]*|cbn?z|tbn?z|b\.[a-z]+|brk|eret)\s"),
    ),
}


def prologue_patterns():
    """The frame-pointer and branch patterns of the architecture gdb is reading."""
    name = gdb.selected_inferior().architecture().name()
    return PROLOGUES["aarch64" if name.startswith("aarch64") else "x86-64"]


def probe_address(address):
    try:
        block = gdb.block_for_pc(address)
        start = block.function and block.function.value().address
    except (gdb.error, RuntimeError):
        return address
    if start is None or int(start) != address:
        return address
    frame_set, branch = prologue_patterns()
    text = gdb.execute("x/%di 0x%x" % (PROLOGUE_SCAN, address), to_string=True)
    instructions = [line for line in text.splitlines() if INSTRUCTION.match(line)]
    for i, line in enumerate(instructions):
        if frame_set.search(line):
            following = instructions[i + 1:i + 2]
            return int(INSTRUCTION.match(following[0]).group(1), 16) if following else address
        # the first instruction's call to __fentry__ returns; any other branch may skip the probe
        if branch.search(line) and not (i == 0 and "__fentry__" in line):
            return address
    return address


def site_record(location):
    filename, line = (location.source or (None, None)) if hasattr(location, "source") else (None, None)
    return {
        "address": "0x%x" % location.address,
        "probe": "0x%x" % probe_address(location.address),
        "function": getattr(location, "function", None),
        "file": relative_file(filename, None),
        "line": line,
    }


def line_record(address):
    """gdb's line-table row for an address, which lab check accepts beside addr2line's."""
    sal = gdb.find_pc_line(address)
    if not sal.symtab:
        return {"file": None, "line": None}
    return {"file": relative_file(sal.symtab.filename, None), "line": sal.line or None}


def resolve(request):
    try:
        bp = gdb.Breakpoint(request["location"], internal=True)
    except gdb.error as err:
        return {"spec": request["spec"], "error": str(err)}
    try:
        if bp.pending:
            return {"spec": request["spec"], "error": "not found in vmlinux"}
        try:
            locations = [loc for loc in bp.locations if loc.enabled]
        except AttributeError:
            return {"spec": request["spec"], "error": "gdb 13 or later is needed to list a breakpoint's sites"}
        return {"spec": request["spec"], "sites": [site_record(loc) for loc in locations]}
    finally:
        bp.delete()


def main():
    with open(os.environ["LAB_RECORDER_CONFIG"]) as f:
        config = json.load(f)
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("set breakpoint pending off")
    emit("sites", breakpoints=[resolve(request) for request in config["breakpoints"]])
    if config.get("lines"):
        emit("lines", lines={address: line_record(int(address, 16)) for address in config["lines"]})

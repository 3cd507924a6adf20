# The floor for lab's recorder: a gdb breakpoint whose stop() only counts.
# gdb -batch -x bare-count.py vmlinux, with LAB_BENCH_TARGET (127.0.0.1:PORT),
# LAB_BENCH_BREAK and LAB_BENCH_COUNT; prints "@armed", then "@done N SECONDS"
# (between the first hit and the last).
import os
import time

import gdb

limit = int(os.environ["LAB_BENCH_COUNT"])
state = {"n": 0, "first": None, "last": None}


class Count(gdb.Breakpoint):
    def stop(self):
        now = time.time()
        state["n"] += 1
        if state["first"] is None:
            state["first"] = now
        state["last"] = now
        return state["n"] >= limit


gdb.execute("set pagination off")
Count(os.environ["LAB_BENCH_BREAK"])
gdb.execute("target remote %s" % os.environ["LAB_BENCH_TARGET"])
print("@armed", flush=True)
gdb.execute("continue")
print("@done %d %.6f" % (state["n"], state["last"] - state["first"]), flush=True)
gdb.execute("delete")
gdb.execute("detach")

"""The recorder against a stub gdb: python3 -m unittest discover -s gdb-scripts/tests."""
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import stub_gdb  # noqa: E402

sys.modules["gdb"] = stub_gdb
from lab_gdb import recorder  # noqa: E402
from lab_gdb.values import OPTIMIZED_OUT  # noqa: E402

TREE = "/store/sources/abc"
STACK = [
    {
        "function": "compact_unlock_should_abort",
        "file": TREE + "/mm/compaction.c",
        "line": 521,
        "pc": 0x2002,
        "inlined": True,
        "args": {"lock": None, "flags": 7},
    },
    {"function": "isolate_freepages_block", "file": TREE + "/mm/compaction.c", "line": 572, "pc": 0x2002},
    {"function": "compact_zone", "file": TREE + "/mm/compaction.c", "line": 2400, "pc": 0x3000},
    {"function": "entry_SYSCALL_64", "file": TREE + "/arch/x86/entry/entry_64.S", "line": 121, "pc": 0x4000},
    {"function": "user_space_garbage", "file": None, "line": None, "pc": 0x5000},
]


def request(spec, location=None, condition=None):
    return {"spec": spec, "location": location or spec, "condition": condition}


class RecorderTest(unittest.TestCase):
    def setUp(self):
        stub_gdb.reset()
        self.dir = tempfile.mkdtemp()
        self.hits_file = os.path.join(self.dir, "hits.jsonl")
        self.config = {"breakpoints": [request("compact_unlock_should_abort")], "target": "127.0.0.1:4321", "count": 0,
                       "hits": self.hits_file, "source_tree": TREE, "captures": [], "args": False}
        stub_gdb.world["stack"] = stub_gdb.Stack(list(STACK))

    def run_recorder(self, hits_per_continue):
        """Runs recorder.run(config) with every breakpoint stopping hits_per_continue times on continue.

        Returns (events, exit code)."""

        def fire():
            for _ in range(hits_per_continue):
                for bp in list(stub_gdb.breakpoints):
                    if bp.enabled and bp.stop():
                        return
        stub_gdb.world["on_continue"] = fire
        out = io.StringIO()
        with redirect_stdout(out):
            with self.assertRaises(stub_gdb.NoReturn) as quit_:
                recorder.run(self.config)
        prefix = "@lab-event "
        events = [json.loads(line[len(prefix):]) for line in out.getvalue().splitlines() if line.startswith(prefix)]
        return events, quit_.exception.code

    def hits(self):
        with open(self.hits_file) as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_a_hit_records_frames_inline_marks_the_vcpu_and_the_site(self):
        stub_gdb.world["sites"]["compact_unlock_should_abort"] = [0x1000, 0x2002, 0x2500]
        # gdb numbered this thread 1, but it is QEMU's CPU#2 (lwp 3)
        stub_gdb.world["thread"] = stub_gdb.Thread(1, (1, 3, 0))
        self.config["count"] = 2
        events, code = self.run_recorder(5)
        self.assertEqual(code, 0)
        hit = self.hits()[0]
        self.assertEqual(hit["cpu"], 2)
        self.assertEqual((hit["site"], hit["sites"]), (2, 3))
        self.assertEqual(
            [f["function"] for f in hit["frames"]],
            ["compact_unlock_should_abort", "isolate_freepages_block", "compact_zone", "entry_SYSCALL_64"],
        )
        self.assertTrue(hit["frames"][0]["inlined"])
        self.assertEqual(hit["frames"][0]["file"], "mm/compaction.c")
        self.assertTrue(hit["trimmed"])
        self.assertEqual({"event": "breakpoint", "spec": "compact_unlock_should_abort", "sites": 3}, events[0])
        self.assertEqual(events[-2]["event"], "count-reached")

    def test_under_kgdb_a_thread_is_a_task_whose_cpu_field_says_where_it_ran(self):
        stub_gdb.world["thread"] = stub_gdb.Thread(41, (42000, 65, 0))
        stub_gdb.world["values"]["$lx_task_by_pid(65)"] = stub_gdb.Value(
            {"comm": stub_gdb.Value("sh"), "thread_info": stub_gdb.Value({"cpu": stub_gdb.Value(1)})}
        )
        self.config.update(count=1, via="kgdb")
        self.run_recorder(1)
        hit = self.hits()[0]
        self.assertEqual((hit["comm"], hit["pid"], hit["cpu"]), ("sh", 65, 1))

    def test_a_stop_file_ends_the_recording_at_the_next_hit_as_interrupted(self):
        stop = os.path.join(self.dir, "recorder.stop")
        self.config.update(count=0, stop_file=stop)

        def fire():
            for n in range(10):
                if n == 3:
                    open(stop, "w").close()
                if stub_gdb.breakpoints[0].stop():
                    return
        stub_gdb.world["on_continue"] = fire
        out = io.StringIO()
        with redirect_stdout(out), self.assertRaises(stub_gdb.NoReturn):
            recorder.run(self.config)
        self.assertEqual(len(self.hits()), 3)
        self.assertIn('"event": "interrupted"', out.getvalue())
        self.assertNotIn('"event": "count-reached"', out.getvalue())

    def test_captures_record_numbers_strings_and_errors_and_the_recording_goes_on(self):
        stub_gdb.world["values"] = {
            "cc->order": stub_gdb.Value(-1),
            "cc->zone->name": stub_gdb.Value("DMA32", stub_gdb.Type(stub_gdb.TYPE_CODE_PTR, 8, stub_gdb.CHAR)),
        }
        self.config.update(count=2, captures=["cc->order", "cc->zone->name", "cc->nope"])
        self.run_recorder(5)
        hits = self.hits()
        self.assertEqual(len(hits), 2)
        self.assertEqual(hits[0]["captures"]["cc->order"], {"value": -1})
        self.assertEqual(hits[0]["captures"]["cc->zone->name"], {"value": "DMA32"})
        self.assertIn("error", hits[0]["captures"]["cc->nope"])

    def test_args_record_values_and_optimized_out_as_such(self):
        self.config.update(count=1, args=True)
        self.run_recorder(1)
        frame = self.hits()[0]["frames"][0]
        self.assertEqual(frame["args"], {"lock": OPTIMIZED_OUT, "flags": 7})

    def test_a_frame_that_cannot_be_read_is_recorded_as_such_and_the_guest_runs_on(self):
        stub_gdb.world["stack"] = stub_gdb.Stack(list(STACK), broken_at=2)
        self.config["count"] = 3
        events, code = self.run_recorder(5)
        hits = self.hits()
        self.assertEqual(len(hits), 3)
        self.assertEqual(len(hits[0]["frames"]), 2)
        self.assertIn("Cannot access memory", hits[0]["frames_error"])
        self.assertEqual(events[-2]["event"], "count-reached")
        self.assertEqual(code, 0)

    def test_a_failed_write_ends_the_recording_as_a_failure_never_as_count_reached(self):
        class FullDisk(io.StringIO):
            def write(self, s):
                raise OSError(28, "No space left on device")
        original = open

        def fake_open(path, mode="r", *a, **k):
            return FullDisk() if path == self.hits_file else original(path, mode, *a, **k)
        self.config["count"] = 10
        recorder.open = fake_open
        try:
            events, code = self.run_recorder(5)
        finally:
            del recorder.open
        outcome = [e for e in events if e["event"] in ("count-reached", "interrupted", "write-failed", "target-lost")]
        self.assertEqual([e["event"] for e in outcome], ["write-failed"])
        self.assertIn("No space left", outcome[0]["error"])
        self.assertEqual(code, 6)

    def test_max_per_break_bounds_one_breakpoint_without_ending_the_run(self):
        self.config["breakpoints"] = [request("compact_unlock_should_abort"), request("compact_zone")]
        self.config.update(count=0, max_per_break=2)
        events, _ = self.run_recorder(4)
        per = {}
        for h in self.hits():
            per[h["breakpoint"]] = per.get(h["breakpoint"], 0) + 1
        self.assertEqual(per, {"compact_unlock_should_abort": 2, "compact_zone": 2})
        self.assertEqual(len(stub_gdb.posted), 2)
        self.assertEqual(events[-2]["event"], "interrupted")

    def test_a_condition_that_does_not_hold_records_nothing(self):
        self.config["breakpoints"] = [
            request("compact_zone if cc->order == 3", "compact_zone", "cc->order == 3"),
            request("compact_unlock_should_abort if locked", "compact_unlock_should_abort", "locked"),
        ]
        stub_gdb.world["values"] = {"cc->order == 3": stub_gdb.Value(0), "locked": stub_gdb.Value(1)}
        self.config["count"] = 0
        self.run_recorder(3)
        self.assertEqual([h["breakpoint"] for h in self.hits()], ["compact_unlock_should_abort if locked"] * 3)
        self.assertIsNone(stub_gdb.breakpoints[0].condition)

    def test_conditions_and_unknown_names_fail_before_attaching(self):
        stub_gdb.world["unknown"] = {"compact_zoen"}
        stub_gdb.world["bad_conditions"] = {"nope > 1"}
        self.config["breakpoints"] = [
            request("compact_zoen"),
            request("compact_zone if nope > 1", "compact_zone", "nope > 1"),
            request("compact_zone if cc->order > 0", "compact_zone", "cc->order > 0"),
        ]
        events, code = self.run_recorder(0)
        self.assertEqual(code, 3)
        unknown = [e for e in events if e["event"] == "unknown"][0]["breakpoints"]
        self.assertEqual([u["spec"] for u in unknown], ["compact_zoen", "compact_zone if nope > 1"])
        self.assertNotIn("target remote 127.0.0.1:4321", stub_gdb.executed)
        self.assertEqual(stub_gdb.breakpoints[-1].cond_expr, "cc->order > 0")


if __name__ == "__main__":
    unittest.main()

"""Prints every hit gdb-scripts/lab_recorder.py writes in its own unit tests
(against the stub gdb), one JSON line each, so a vitest test can check them
against record/'s hit schema: python3 test/helpers/recorder-hits.py"""
import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gdb-scripts", "tests"))
import test_recorder  # noqa: E402

out = sys.stdout
for name in sorted(n for n in dir(test_recorder.RecorderTest) if n.startswith("test_")):
    case = test_recorder.RecorderTest(name)
    case.setUp()
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        try:
            getattr(case, name)()
        except BaseException:  # a test's own assertion is not this script's concern: its hits are
            pass
    if os.path.exists(case.hits_file):
        with open(case.hits_file) as f:
            out.write(f.read())

# lab's breakpoint recorder: gdb -batch -x lab_recorder.py vmlinux, configured
# by the JSON file LAB_RECORDER_CONFIG names (see lab_gdb/recorder.py).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lab_gdb import recorder  # noqa: E402

recorder.main()

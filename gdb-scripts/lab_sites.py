# Where lab's breakpoints would stop: gdb -batch -x lab_sites.py vmlinux, configured
# by the JSON file LAB_RECORDER_CONFIG names (see lab_gdb/sites.py).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lab_gdb import sites  # noqa: E402

sites.main()

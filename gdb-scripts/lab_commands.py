# lab's allocator commands for gdb: source it (lab gdb does) to get lab-buddy,
# lab-zone and lab-pageblocks (see lab_gdb/commands.py).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lab_gdb import commands  # noqa: E402

commands.register()

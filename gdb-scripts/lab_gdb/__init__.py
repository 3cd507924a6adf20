"""lab's gdb Python: the breakpoint recorder and the allocator commands.

Everything here imports the gdb module only through the functions that need
it, so tests/ can run it against a stub gdb in milliseconds.
"""

"""gdb values as JSON: numbers stay numbers, strings strings, the rest as gdb prints it."""
import gdb

OPTIMIZED_OUT = "<optimized out>"


def to_json(value):
    """A gdb.Value as a number, a string, or gdb's own rendering."""
    if value.is_optimized_out:
        return OPTIMIZED_OUT
    t = value.type.strip_typedefs()
    code = t.code
    if code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_CHAR):
        return int(value)
    if code == gdb.TYPE_CODE_ENUM:
        return str(value)
    if code == gdb.TYPE_CODE_FLT:
        return float(value)
    if code == gdb.TYPE_CODE_PTR:
        target = t.target().strip_typedefs()
        if target.code == gdb.TYPE_CODE_INT and target.sizeof == 1 and int(value) != 0:
            try:
                # a fixed read, cut at the string's end: no unbounded walk through memory
                return value.string(length=256, errors="replace").split("\0", 1)[0]
            except gdb.error:
                pass
        return "0x%x" % int(value)
    if code == gdb.TYPE_CODE_ARRAY:
        target = t.target().strip_typedefs()
        if target.code == gdb.TYPE_CODE_INT and target.sizeof == 1:
            return value.string(length=t.sizeof).split("\0", 1)[0]
    return str(value)


def capture(expression):
    """An expression evaluated in the selected frame: its value, or the error it raised."""
    try:
        return {"value": to_json(gdb.parse_and_eval(expression))}
    except gdb.error as err:
        return {"error": str(err)}
    except gdb.MemoryError as err:
        return {"error": str(err)}

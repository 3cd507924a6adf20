"""A stand-in for gdb's Python module: just what lab_gdb touches, driven by the tests."""


class error(RuntimeError):
    pass


class MemoryError(error):  # noqa: A001 - gdb's own name
    pass


NORMAL_FRAME, INLINE_FRAME = 0, 1
(TYPE_CODE_PTR, TYPE_CODE_ARRAY, TYPE_CODE_STRUCT, TYPE_CODE_ENUM, TYPE_CODE_FLT,
 TYPE_CODE_INT, TYPE_CODE_BOOL, TYPE_CODE_CHAR) = range(1, 9)


class Type:
    def __init__(self, code, sizeof=8, target=None, name=None):
        self.code, self.sizeof, self._target, self.name = code, sizeof, target, name

    def strip_typedefs(self):
        return self

    def target(self):
        return self._target


INT = Type(TYPE_CODE_INT, 4, name="int")
CHAR = Type(TYPE_CODE_INT, 1, name="char")


class Value:
    def __init__(self, v, type_=INT, optimized_out=False):
        self.v, self.type, self.is_optimized_out = v, type_, optimized_out

    def __bool__(self):
        return bool(self.v)

    def __int__(self):
        # a string value stands for a char pointer: some nonzero address
        return 0xFFFF888000001000 if isinstance(self.v, str) else int(self.v)

    def string(self, length=None, errors=None):
        # what gdb gives for a fixed length: the string, its NUL, and whatever memory follows
        return str(self.v) + ("\0COMPACT_CONTENDED\0" if length else "")

    def __getitem__(self, key):
        return self.v[key]

    def __str__(self):
        return str(self.v)


class Symtab:
    def __init__(self, filename):
        self.filename = filename


class Sal:
    def __init__(self, filename, line):
        self.symtab = Symtab(filename) if filename else None
        self.line = line


class Symbol:
    def __init__(self, name, is_argument=True):
        self.name, self.is_argument = name, is_argument


class Block:
    def __init__(self, function, symbols):
        self.function, self._symbols, self.superblock = function, symbols, None

    def __iter__(self):
        return iter(self._symbols)


class Frame:
    """One frame of a stack the test lays out; older() walks it, or raises where the test says."""

    def __init__(self, stack, index):
        self.stack, self.index = stack, index
        self.spec = stack.frames[index]

    def name(self):
        return self.spec["function"]

    def function(self):
        return None

    def find_sal(self):
        return Sal(self.spec.get("file"), self.spec.get("line"))

    def pc(self):
        return self.spec["pc"]

    def type(self):
        return INLINE_FRAME if self.spec.get("inlined") else NORMAL_FRAME

    def older(self):
        if self.stack.broken_at == self.index + 1:
            raise error("Cannot access memory at address 0xffffc90000abcdef")
        return Frame(self.stack, self.index + 1) if self.index + 1 < len(self.stack.frames) else None

    def block(self):
        args = self.spec.get("args", {})
        return Block(self.spec["function"], [Symbol(n) for n in args])

    def read_var(self, sym):
        v = self.spec["args"][sym.name]
        return Value(0, INT, optimized_out=True) if v is None else Value(v)


class Stack:
    def __init__(self, frames, broken_at=None):
        self.frames, self.broken_at = frames, broken_at


class Location:
    def __init__(self, address):
        self.address, self.enabled = address, True


class Thread:
    def __init__(self, num, ptid):
        self.num, self.ptid = num, ptid


# what the tests set
world = {
    "stack": Stack([]),
    "values": {},
    "thread": Thread(1, (1, 1, 0)),
    "sites": {},
    "unknown": set(),
    "bad_conditions": set(),
    "on_continue": None,
}
executed = []
posted = []
breakpoints = []


def reset():
    world.update(
        stack=Stack([]),
        values={},
        thread=Thread(1, (1, 1, 0)),
        sites={},
        unknown=set(),
        bad_conditions=set(),
        on_continue=None,
    )
    executed.clear()
    posted.clear()
    breakpoints.clear()


class Breakpoint:
    def __init__(self, spec):
        if spec in world["unknown"]:
            raise error('Function "%s" not defined.' % spec)
        self.location = spec
        self.pending = False
        self.enabled = True
        self.locations = [Location(a) for a in world["sites"].get(spec, [0x1000])]
        self._condition = None
        breakpoints.append(self)

    @property
    def condition(self):
        return self._condition

    @condition.setter
    def condition(self, text):
        if text in world["bad_conditions"]:
            raise error('No symbol "nope" in current context.')
        self._condition = text

    def delete(self):
        breakpoints.remove(self)


class NoReturn(Exception):
    """gdb's quit never returns."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def newest_frame():
    return Frame(world["stack"], 0)


def selected_thread():
    return world["thread"]


def parse_and_eval(expression):
    if expression not in world["values"]:
        raise error('No symbol "%s" in current context.' % expression.split("->")[0])
    return world["values"][expression]


def post_event(fn):
    posted.append(fn)


def execute(command, to_string=False):
    executed.append(command)
    if command.startswith("quit"):
        raise NoReturn(int(command.split()[1]) if " " in command else 0)
    if command == "continue" and world["on_continue"]:
        world["on_continue"]()
    return ""


COMMAND_DATA = 0
COMMAND_RUNNING = 1
commands = {}


class GdbError(RuntimeError):
    pass


class Command:
    def __init__(self, name, command_class):
        commands[name] = self


def string_to_argv(arg):
    return arg.split()

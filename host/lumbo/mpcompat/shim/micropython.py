"""CPython stand-in for MicroPython's `micropython` module: code generators become plain Python."""


def const(value):
    return value


def native(func):
    return func


def viper(func):
    return func


def bytecode(func):
    return func


def opt_level(level=None):
    return 0 if level is None else None


def alloc_emergency_exception_buf(size):
    return None


def heap_lock():
    return 0


def heap_unlock():
    return 0


def schedule(func, arg):
    func(arg)


def mem_info(verbose=None):
    return None


def qstr_info(verbose=None):
    return None


def stack_use():
    return 0

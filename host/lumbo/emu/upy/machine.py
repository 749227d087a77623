"""Stand-in for MicroPython's `machine` module on a machine without a board.

Under the MicroPython unix port this file shadows the built-in module and re-exports it (`umachine`), then
adds what the unix port lacks: `Pin` and an `I2C` bus to which emulated chips are attached. It runs under
CPython too. An emulated chip is any object with

    read_into(register, buf)   fill buf with the bytes read from register onwards
    write(register, buf)       take the bytes written to register onwards

Bus errors are raised as a real ESP32 raises them: OSError(ENODEV) when no device acknowledges its address,
OSError(ETIMEDOUT) when the bus hangs.
"""

try:
    from umachine import *  # noqa: F403  (the unix port's own machine functions)
except ImportError:
    pass

ENODEV = 19
ETIMEDOUT = 116

_devices = {}  # (bus id, address) -> emulated chip
_faults = {}  # bus id -> "hang" or None


def attach(bus_id, address, device):
    """Connect an emulated chip to a bus at a 7-bit address (replacing whatever was there)."""
    if not 0x08 <= address <= 0x77:
        raise ValueError("I2C address 0x%02x is outside the 7-bit range 0x08-0x77" % address)
    _devices[(bus_id, address)] = device


def detach(bus_id, address):
    _devices.pop((bus_id, address), None)


def detach_all():
    _devices.clear()
    _faults.clear()


def set_bus_fault(bus_id, fault):
    """fault: None (a working bus) or "hang" (every transfer times out, as with SDA held low)."""
    if fault not in (None, "hang"):
        raise ValueError("unknown bus fault %r" % (fault,))
    _faults[bus_id] = fault


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 1
    IRQ_RISING = 2

    def __init__(self, pin_id, mode=-1, pull=-1, value=None):
        self.id = pin_id
        self.mode = mode
        self.pull = pull
        self._value = 0 if value is None else int(bool(value))
        self._handler = None
        self._trigger = 0

    def value(self, new=None):
        if new is None:
            return self._value
        old = self._value
        self._value = int(bool(new))
        if self._handler is not None:
            if (old == 0 and self._value == 1 and self._trigger & Pin.IRQ_RISING) or (
                old == 1 and self._value == 0 and self._trigger & Pin.IRQ_FALLING
            ):
                self._handler(self)
        return None

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=3):
        self._handler = handler
        self._trigger = trigger

    def __call__(self, new=None):
        return self.value(new)

    def __repr__(self):
        return "Pin(%s)" % (self.id,)


class I2C:
    def __init__(self, bus_id=0, scl=None, sda=None, freq=400000, timeout=50000):
        self.bus_id = bus_id
        self.scl = scl
        self.sda = sda
        self.freq = freq
        self.timeout = timeout

    def _device(self, address):
        if _faults.get(self.bus_id) == "hang":
            raise OSError(ETIMEDOUT)
        device = _devices.get((self.bus_id, address))
        if device is None:
            raise OSError(ENODEV)
        return device

    def scan(self):
        if _faults.get(self.bus_id) == "hang":
            return []
        return sorted(addr for (bus, addr) in _devices if bus == self.bus_id)

    def readfrom_mem_into(self, address, register, buf, addrsize=8):
        self._device(address).read_into(register, buf)

    def readfrom_mem(self, address, register, nbytes, addrsize=8):
        buf = bytearray(nbytes)
        self._device(address).read_into(register, buf)
        return bytes(buf)

    def writeto_mem(self, address, register, buf, addrsize=8):
        self._device(address).write(register, buf)

    def __repr__(self):
        return "I2C(%s, scl=%r, sda=%r, freq=%d)" % (self.bus_id, self.scl, self.sda, self.freq)


SoftI2C = I2C

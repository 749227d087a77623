"""Stand-in for MicroPython's `machine` module on a machine without a board."""

# Under the MicroPython unix port this file shadows the built-in module and re-exports it (`umachine`), then
# adds what the unix port lacks: `Pin` and an `I2C` bus to which emulated chips are attached. It runs under
# CPython too. An emulated chip is any object with
#
#     read_into(register, buf)   fill buf with the bytes read from register onwards
#     write(register, buf)       take the bytes written to register onwards
#
# and, optionally,
#
#     attached(bus_id, address)  told where it was connected (a chip that hangs the bus needs its bus id)
#     poll()                     let time-driven state move on (used while the board sleeps)
#
# Bus errors are raised as a real ESP32 raises them: OSError(ENODEV) when no device acknowledges its address,
# OSError(ETIMEDOUT) when the bus hangs.
#
# Pins with the same number share one level, as on a board: a chip's interrupt line driven with `drive()`
# is what `Pin(n).value()` reads, and it runs the handlers set with `Pin.irq()`.
#
# Nothing here allocates on a working transfer, so heap measurements of a driver see only the driver.

try:
    from umachine import *  # noqa: F403  (the unix port's own machine functions)
except ImportError:
    pass

ENODEV = 19
ETIMEDOUT = 116

_buses = {}  # bus id -> {address: emulated chip}
_faults = {}  # bus id -> "hang" or None
_levels = {}  # pin number -> 0 or 1
_pins = {}  # pin number -> list of Pin objects with an irq handler


def attach(bus_id, address, device):
    """Connect an emulated chip to a bus at a 7-bit address (replacing whatever was there)."""
    if not 0x08 <= address <= 0x77:
        raise ValueError("I2C address 0x%02x is outside the 7-bit range 0x08-0x77" % address)
    bus = _buses.get(bus_id)
    if bus is None:
        bus = {}
        _buses[bus_id] = bus
    bus[address] = device
    hook = getattr(device, "attached", None)
    if hook is not None:
        hook(bus_id, address)


def detach(bus_id, address):
    bus = _buses.get(bus_id)
    if bus is not None:
        bus.pop(address, None)


def detach_all():
    _buses.clear()
    _faults.clear()
    _levels.clear()
    _pins.clear()


def devices(bus_id):
    """The emulated chips on a bus, as a list of (address, chip)."""
    bus = _buses.get(bus_id, {})
    return [(address, bus[address]) for address in sorted(bus)]


def poll_all():
    """Let every attached chip catch up with the clock (a sleeping board still has a running IMU)."""
    for bus in _buses.values():
        for device in bus.values():
            poll = getattr(device, "poll", None)
            if poll is not None:
                poll()


def set_bus_fault(bus_id, fault):
    """fault: None (a working bus) or "hang" (every transfer times out, as with SDA held low)."""
    if fault not in (None, "hang"):
        raise ValueError("unknown bus fault %r" % (fault,))
    _faults[bus_id] = fault


def drive(pin_id, level):
    """Set the level of a pin from outside the board (a chip's interrupt line), running its handlers."""
    level = 1 if level else 0
    old = _levels.get(pin_id, 0)
    _levels[pin_id] = level
    if old == level:
        return
    for pin in _pins.get(pin_id, ()):
        pin._edge(old, level)


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 1
    IRQ_RISING = 2
    WAKE_LOW = 4
    WAKE_HIGH = 5

    def __init__(self, pin_id, mode=-1, pull=-1, value=None):
        self.id = pin_id
        self.mode = mode
        self.pull = pull
        self._handler = None
        self._trigger = 0
        if value is not None:
            drive(pin_id, value)

    def value(self, new=None):
        if new is None:
            return _levels.get(self.id, 0)
        drive(self.id, new)
        return None

    def on(self):
        drive(self.id, 1)

    def off(self):
        drive(self.id, 0)

    def irq(self, handler=None, trigger=3, wake=None):
        self._handler = handler
        self._trigger = trigger
        listeners = _pins.get(self.id)
        if listeners is None:
            listeners = []
            _pins[self.id] = listeners
        if self not in listeners:
            listeners.append(self)

    def _edge(self, old, new):
        if self._handler is None:
            return
        if (new == 1 and self._trigger & Pin.IRQ_RISING) or (new == 0 and self._trigger & Pin.IRQ_FALLING):
            self._handler(self)

    def __call__(self, new=None):
        return self.value(new)

    def __repr__(self):
        return "Pin(%s)" % (self.id,)


_NO_DEVICES = {}


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
        device = _buses.get(self.bus_id, _NO_DEVICES).get(address)
        if device is None:
            raise OSError(ENODEV)
        return device

    def scan(self):
        if _faults.get(self.bus_id) == "hang":
            return []
        return sorted(_buses.get(self.bus_id, _NO_DEVICES))

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

"""A NOR flash chip in RAM, as a MicroPython block device for littlefs, that can lose power mid-write.

It speaks the extended block protocol littlefs uses (readblocks/writeblocks with a byte offset, ioctl 6
to erase a block). Like NOR flash, erasing sets a block to 0xFF and programming can only clear bits.

Power cuts: `arm(n)` makes the n-th program or erase operation from now the last one. That operation is
cut short part way (a random number of bytes programmed or erased, and one byte half-programmed), the
chip goes dead, and that operation and every later one fail with -EIO (the block protocol's error return,
which littlefs turns into OSError(EIO)), as if the board had stopped running. Returning the error rather
than raising keeps the chip usable from finalizers, which run with the heap locked. `revive()`
powers the chip back up with whatever the flash then holds. Before reviving, collect garbage while the
chip is still dead: a littlefs file whose close failed at the cut is closed again by its finalizer, and
that must not reach a chip that has since been mounted afresh.
"""

import random

EIO = 5


class CutFlash:
    def __init__(self, block_size=512, block_count=48):
        self.block_size = block_size
        self.block_count = block_count
        self.data = bytearray(block_size * block_count)
        for i in range(len(self.data)):
            self.data[i] = 0xFF
        self.ops = 0  # program and erase operations so far
        self.left = -1  # operations until the cut; -1: none armed
        self.dead = False
        self._view = memoryview(self.data)

    def arm(self, operations):
        self.left = operations

    def disarm(self):
        self.left = -1

    def revive(self):
        self.dead = False
        self.left = -1

    def _tick(self):
        """True if this operation is the one the power dies in."""
        self.ops += 1
        if self.left < 0:
            return False
        self.left -= 1
        return self.left == 0

    def readblocks(self, block, buf, offset=0):
        if self.dead:
            return -EIO
        start = block * self.block_size + offset
        buf[0:len(buf)] = self._view[start:start + len(buf)]
        return 0

    def writeblocks(self, block, buf, offset=None):
        if self.dead:
            return -EIO
        if offset is None:
            offset = 0
            if self._erase(block):
                return -EIO
        start = block * self.block_size + offset
        n = len(buf)
        cut = self._tick()
        if cut:
            n = random.randint(0, n)
        data = self.data
        for i in range(n):
            data[start + i] &= buf[i]
        if cut:
            if n < len(buf):
                data[start + n] &= buf[n] | random.getrandbits(8)  # a byte caught half-programmed
            self.dead = True
            return -EIO
        return 0

    def _erase(self, block):
        """Erase a block; True if the power died during it."""
        start = block * self.block_size
        n = self.block_size
        cut = self._tick()
        if cut:
            n = random.randint(0, n)
        data = self.data
        for i in range(start, start + n):
            data[i] = 0xFF
        if cut:
            self.dead = True
        return cut

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.block_count
        if op == 5:  # block size
            return self.block_size
        if op == 6:  # erase
            if self.dead or self._erase(arg):
                return -EIO
            return 0
        return 0  # init, deinit, sync


class FileFlash:
    """A block device over a host file: for images too big for the heap. No power cuts."""

    def __init__(self, path, block_size, block_count):
        self.block_size = block_size
        self.block_count = block_count
        self.f = open(path, "w+b")
        self.erased = b"\xff" * 256  # written in pieces: a block-sized buffer is a lot of a small heap
        for _ in range(block_count * block_size // 256):
            self.f.write(self.erased)

    def readblocks(self, block, buf, offset=0):
        self.f.seek(block * self.block_size + offset)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        if offset is None:
            offset = 0
            self.ioctl(6, block)
        self.f.seek(block * self.block_size + offset)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.block_count
        if op == 5:
            return self.block_size
        if op == 6:
            self.f.seek(arg * self.block_size)
            for _ in range(self.block_size // 256):
                self.f.write(self.erased)
        return 0

    def close(self):
        self.f.close()

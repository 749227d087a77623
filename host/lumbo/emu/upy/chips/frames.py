"""The motion an emulated IMU senses: frames of six integers at a fixed rate, from a file or an array."""

# A frame is (ax, ay, az, gx, gy, gz) in the sensor's own axes: acceleration in micro-g (gravity included),
# angular rate in millidegrees per second. Both interpreters read it the same way, without numpy; the host
# writes the files from a lumbo-imu/1 recording with `lumbo.emu.imu_frames`.
#
# File layout (all little-endian):
#
#     bytes 0-7     magic b"LUMBOFR1"
#     bytes 8-11    uint32 rate in millihertz (50000 for 50 Hz)
#     bytes 12-15   uint32 number of frames
#     bytes 16-23   reserved, zero
#     bytes 24-     frames, 6 x int32 each (24 bytes)
#
# Frame i describes the motion at i / rate seconds after the source starts. Before the first frame the first
# holds; after the last, the last holds (a recording that has ended leaves the sensor where it was).
# Reading a frame allocates nothing: a file is read in chunks into one preallocated buffer.

import struct
from array import array

MAGIC = b"LUMBOFR1"
HEADER_BYTES = 24
VALUES_PER_FRAME = 6
FRAME_BYTES = 4 * VALUES_PER_FRAME


class FrameError(ValueError):
    """A frames file or array that cannot be used; the message says why."""


class FrameSource:
    def __init__(self, rate_mhz, frames, count=None):
        """frames: an array("i") of 6 values per frame, already in memory."""
        if rate_mhz <= 0:
            raise FrameError("a frame rate must be positive, got %d mHz" % rate_mhz)
        if count is None:
            if len(frames) % VALUES_PER_FRAME:
                raise FrameError("%d values do not make whole frames of 6" % len(frames))
            count = len(frames) // VALUES_PER_FRAME
        if count < 1:
            raise FrameError("a frame source needs at least one frame")
        self.rate_mhz = rate_mhz
        self.count = count
        self._frames = frames
        self._file = None
        self._first = 0  # index of the first frame held in _frames (chunked files)
        self._held = count

    @classmethod
    def open(cls, path, chunk_frames=128):
        """A source streamed from a frames file; keep it open for as long as the chip runs."""
        f = open(path, "rb")
        header = f.read(HEADER_BYTES)
        if len(header) < HEADER_BYTES or header[:8] != MAGIC:
            f.close()
            raise FrameError("%s is not a lumbo frames file (expected it to start with %r)" % (path, MAGIC))
        rate_mhz, count = struct.unpack("<II", header[8:16])
        if count < 1:
            f.close()
            raise FrameError("%s holds no frames" % path)
        source = cls(rate_mhz, array("i", bytes(FRAME_BYTES * chunk_frames)), count)
        source._file = f
        source._held = 0
        return source

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def index_at(self, t_us):
        """The frame that describes the motion t_us microseconds after the source started (nearest)."""
        i = (t_us * self.rate_mhz + 500000000) // 1000000000
        if i < 0:
            return 0
        if i >= self.count:
            return self.count - 1
        return i

    def get(self, index, out):
        """Copy frame `index` (clamped to the frames there are) into out[0:6]."""
        if index < 0:
            index = 0
        elif index >= self.count:
            index = self.count - 1
        offset = index - self._first
        if offset < 0 or offset >= self._held:
            self._load(index)
            offset = 0
        base = offset * VALUES_PER_FRAME
        frames = self._frames
        out[0] = frames[base]
        out[1] = frames[base + 1]
        out[2] = frames[base + 2]
        out[3] = frames[base + 3]
        out[4] = frames[base + 4]
        out[5] = frames[base + 5]

    def _load(self, index):
        f = self._file
        f.seek(HEADER_BYTES + index * FRAME_BYTES)
        got = f.readinto(self._frames)
        self._first = index
        self._held = (got or 0) // FRAME_BYTES
        if self._held < 1:
            raise FrameError("the frames file ended early: frame %d of %d is missing" % (index, self.count))

"""FIFO bytes to Burst samples: the per-sample path of every driver, in viper, allocating nothing.

A plan (bytearray, made once by `make_plan`) says, for each of the six board-frame outputs (ax, ay, az,
gx, gy, gz), where its low and high bytes sit in the chip's frame and whether to negate it:

    plan[3*j]      byte offset of output j's low byte in a frame
    plan[3*j + 1]  byte offset of its high byte
    plan[3*j + 2]  1 to negate (the board axis points the other way from the chip's)
    plan[18]       bytes per frame
    plan[19]       spare
    plan[20:32]    a tagged FIFO's pending gyro sample (6 bytes) and the accel one it is paired with
    plan[32]       1 while a gyro sample waits for its accel partner
    plan[33]       the pending gyro sample's 2-bit slot counter
    plan[34]       tagged entries dropped because their partner was lost (saturates at 255)

Values are moved as raw 16-bit patterns: a store through ptr16 keeps the two's complement bits, so no
sign extension is needed. Negating -32768 gives +32767 (the nearest value int16 can hold).
"""

import micropython
from micropython import const

PLAN_BYTES = const(36)
PENDING = const(20)
_TAG_GYRO = const(1)
_TAG_ACCEL = const(2)


def make_plan(layout, frame_bytes, axes):
    """layout: the byte offset of the low byte of each chip value (ax, ay, az, gx, gy, gz) in a frame,
    plus a flag, True for big-endian values. axes: for board x, y, z, (chip axis 0-2, negate)."""
    offsets, big_endian = layout
    plan = bytearray(PLAN_BYTES)
    for j in range(6):
        chip_axis, negate = axes[j % 3]
        lo = offsets[(j // 3) * 3 + chip_axis]
        hi = lo + 1
        if big_endian:
            lo, hi = hi, lo
        plan[3 * j] = lo
        plan[3 * j + 1] = hi
        plan[3 * j + 2] = 1 if negate else 0
    plan[18] = frame_bytes
    return plan


@micropython.viper
def decode_frames(src, n: int, dst, plan) -> int:
    """Decode n whole frames from src into dst (six int16 per sample); return n."""
    s = ptr8(src)  # noqa: F821  (a viper builtin)
    d = ptr16(dst)  # noqa: F821  (a viper builtin)
    p = ptr8(plan)  # noqa: F821  (a viper builtin)
    frame = int(p[18])
    base = 0
    o = 0
    i = 0
    while i < n:
        j = 0
        while j < 18:
            v = (int(s[base + int(p[j + 1])]) << 8) | int(s[base + int(p[j])])
            if p[j + 2]:
                if v == 0x8000:
                    v = 0x7FFF
                else:
                    v = (0x10000 - v) & 0xFFFF
            d[o] = v
            o += 1
            j += 3
        base += frame
        i += 1
    return n


@micropython.viper
def decode_tagged(src, n: int, dst, plan, room: int) -> int:
    """Decode n tagged 7-byte FIFO entries (ST LSM6DSO family) into at most `room` samples in dst.

    A sample is a gyro entry followed by the accel entry of the same slot; a gyro entry left at the end
    waits in the plan for the next call. The plan's offsets must describe the pair as 12 bytes: gyro
    x, y, z then accel x, y, z, little-endian. Entries of other sensors are skipped."""
    s = ptr8(src)  # noqa: F821  (a viper builtin)
    d = ptr16(dst)  # noqa: F821  (a viper builtin)
    p = ptr8(plan)  # noqa: F821  (a viper builtin)
    out = 0
    e = 0
    while e < n:
        b = e * 7
        tag = int(s[b]) >> 3
        slot = (int(s[b]) >> 1) & 3
        if tag == _TAG_GYRO:
            if p[32]:
                if p[34] < 255:
                    p[34] = p[34] + 1
            k = 0
            while k < 6:
                p[PENDING + k] = s[b + 1 + k]
                k += 1
            p[32] = 1
            p[33] = slot
        elif tag == _TAG_ACCEL:
            if p[32] and int(p[33]) == slot and out < room:
                k = 0
                while k < 6:
                    p[PENDING + 6 + k] = s[b + 1 + k]
                    k += 1
                o = out * 6
                j = 0
                while j < 18:
                    v = (int(p[PENDING + int(p[j + 1])]) << 8) | int(p[PENDING + int(p[j])])
                    if p[j + 2]:
                        if v == 0x8000:
                            v = 0x7FFF
                        else:
                            v = (0x10000 - v) & 0xFFFF
                    d[o] = v
                    o += 1
                    j += 3
                out += 1
            elif p[34] < 255:
                p[34] = p[34] + 1
            p[32] = 0
        e += 1
    return out

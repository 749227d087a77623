"""Motion made up on the fly for the power and bias tests (no file, no big arrays: MicroPython's heap is
the board's). A source has what an emulated chip asks of one: count, rate_mhz, index_at(), get()."""

_MAX = 1 << 40


def noise(i, axis, amplitude):
    """Deterministic pseudo-random noise, uniform in [-amplitude, amplitude] (std amplitude / sqrt 3)."""
    x = ((i * 6 + axis + 1) * 2654435761) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 2246822519) & 0xFFFFFFFF
    x ^= x >> 13
    return x % (2 * amplitude + 1) - amplitude


class Procedural:
    def __init__(self, rate_hz):
        self.rate_mhz = rate_hz * 1000
        self.rate_hz = rate_hz
        self.count = _MAX

    def index_at(self, t_us):
        i = (t_us * self.rate_mhz + 500000000) // 1000000000
        return 0 if i < 0 else i

    def get(self, index, out):
        raise NotImplementedError

    def close(self):
        pass


class Wearer(Procedural):
    """Worn by someone sitting very still until table_s (only breathing sways the pelvis: 0.3 degree of
    tilt, a 4 s breath), then lying on a table until picked_s, then picked up and carried about."""

    def __init__(self, table_s, picked_s, rate_hz=50, accel_noise_ug=2000, gyro_noise_mdps=30):
        Procedural.__init__(self, rate_hz)
        self.table = table_s * rate_hz
        self.picked = picked_s * rate_hz
        self.accel_noise = accel_noise_ug * 17 // 10  # uniform half-width for this standard deviation
        self.gyro_noise = gyro_noise_mdps * 17 // 10

    def get(self, index, out):
        rate = self.rate_hz
        an = self.accel_noise
        gn = self.gyro_noise
        if index < self.table:
            # Triangle-wave tilt of +-0.3 degree over a 4 s breath: +-5.2 mg on x, +-0.3 dps on y.
            phase = index % (4 * rate)
            half = 2 * rate
            rising = phase < half
            step = phase if rising else phase - half
            tilt_ug = (-5236 + 10472 * step // half) if rising else (5236 - 10472 * step // half)
            out[0] = tilt_ug + noise(index, 0, an)
            out[1] = noise(index, 1, an)
            out[2] = 1000000 + noise(index, 2, an)
            out[3] = noise(index, 3, gn)
            out[4] = (300 if rising else -300) + noise(index, 4, gn)
            out[5] = noise(index, 5, gn)
        elif index < self.picked:
            out[0] = noise(index, 0, an)
            out[1] = noise(index, 1, an)
            out[2] = 1000000 + noise(index, 2, an)
            out[3] = noise(index, 3, gn)
            out[4] = noise(index, 4, gn)
            out[5] = noise(index, 5, gn)
        else:
            # Carried: a 1 Hz swing of 0.3 g on x and 40 dps about y.
            phase = (index - self.picked) % rate
            up = phase < rate // 2
            out[0] = (300000 if up else -300000) + noise(index, 0, an)
            out[1] = noise(index, 1, an)
            out[2] = 950000 + noise(index, 2, an)
            out[3] = noise(index, 3, gn)
            out[4] = (40000 if up else -40000) + noise(index, 4, gn)
            out[5] = noise(index, 5, gn)

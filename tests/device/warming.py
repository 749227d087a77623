"""A gyro whose bias follows the die's temperature, made up on the fly for the bias tests."""

from wearer import Procedural, noise


class Warming(Procedural):
    """A gyro whose bias follows temperature: still, turning and still again while the die warms.

    temp_cdeg(t_s) is the die temperature the test gives the emulated chip; the gyro reads
    bias(T) = BIAS0 + SLOPE * (T - 25 C) plus any turning. Still in [0, 10) s and [45, 55) s."""

    BIAS0_MDPS = (1500, -800, 300)
    SLOPE_MDPS_PER_C = (30, -20, 10)

    def __init__(self, rate_hz=50, gyro_noise_mdps=30):
        Procedural.__init__(self, rate_hz)
        self.gyro_noise = gyro_noise_mdps * 17 // 10

    @staticmethod
    def temp_cdeg(t_ms):
        if t_ms < 20000:
            return 2500
        if t_ms < 40000:
            return 2500 + (t_ms - 20000) * 500 // 20000
        if t_ms < 60000:
            return 3000
        if t_ms < 80000:
            return 3000 + (t_ms - 60000) * 500 // 20000
        return 3500

    def bias_mdps(self, axis, t_ms):
        return self.BIAS0_MDPS[axis] + self.SLOPE_MDPS_PER_C[axis] * (self.temp_cdeg(t_ms) - 2500) // 100

    @staticmethod
    def still(t_ms):
        return t_ms < 10000 or 45000 <= t_ms < 55000

    def get(self, index, out):
        t_ms = index * 1000 // self.rate_hz
        turning = 0 if self.still(t_ms) else (20000 if (t_ms // 500) % 2 else -20000)
        out[0] = 0
        out[1] = 0
        out[2] = 1000000
        for axis in range(3):
            out[3 + axis] = self.bias_mdps(axis, t_ms) + noise(index, 3 + axis, self.gyro_noise)
        out[4] += turning

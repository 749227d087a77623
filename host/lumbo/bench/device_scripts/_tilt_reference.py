"""The tilt filter of lumbo_fw.tilt written plainly in floats: the reference its fixed point is checked and
timed against. Same method, same settings, same burst interface; no viper, no integer formats.

Runs under MicroPython (for `lumbo bench device`) and CPython (tests compare the two implementations).
"""

import math

from lumbo_fw.tilt import TiltSettings

try:
    from time import ticks_diff
except ImportError:  # CPython without lumbo.mpcompat: plain integer microseconds
    def ticks_diff(end, start):
        return end - start


class TiltReference:
    def __init__(self, rate_hz, settings=None):
        self.settings = settings if settings is not None else TiltSettings()
        self.period_s = 1.0 / rate_hz
        self.gravity = [0.0, 0.0, 0.0]
        self.resting = False
        self.f = [0.0, 0.0, 0.0]  # low-passed specific force, g
        self.v = [0.0, 0.0, 0.0]  # its rate state over the corner frequency, g
        self.bias = [0.0, 0.0, 0.0]  # dps
        self.gl = [0.0, 0.0, 0.0]
        self.al = [0.0, 0.0, 0.0]
        self.anchor = [0.0, 0.0, 0.0]
        self.rest_s = 0.0
        self.offset = [0.0, 0.0, 0.0]  # accelerometer offset, g
        sigma = self.settings.bias_sigma_init_dps
        self.var = sigma * sigma
        self.started = False
        self._t_prev = None
        self._sum_us = 0
        self._sum_n = 0

    def _time(self, burst, count):
        t = burst.t_end_us
        if self._t_prev is not None:
            dt = ticks_diff(t, self._t_prev)
            period_us = self.period_s * 1e6
            if 0.75 * count * period_us < dt < 1.25 * count * period_us:
                self._sum_us += dt
                self._sum_n += count
                if self._sum_us >= 0x1000000:
                    self._sum_us //= 2
                    self._sum_n //= 2
                if self._sum_n >= 64:
                    self.period_s = self._sum_us / self._sum_n * 1e-6
        self._t_prev = t

    def update(self, burst):
        count = burst.count
        if count <= 0:
            return
        self._time(burst, count)
        cfg = self.settings
        dt = self.period_s
        ka = 1.0 / burst.accel_lsb_per_g
        kg = 1.0 / burst.gyro_lsb_per_dps
        kr = dt / cfg.rest_filter_tau_s
        fast = self.var > cfg.bias_known_sigma_dps ** 2
        kb = dt / (cfg.bias_rest_tau_fast_s if fast else cfg.bias_rest_tau_s)
        w_motion = dt / cfg.accel_tau_s
        w_rest = dt / cfg.accel_tau_rest_s
        gain = self.var / (self.var + cfg.bias_sigma_motion_dps ** 2)
        k_motion = gain / cfg.bias_motion_tau_fast_s + (1.0 - gain) / cfg.bias_motion_tau_slow_s
        k_var = gain * dt / cfg.bias_motion_tau_fast_s
        rad = math.pi / 180.0 * dt
        f = self.f
        v = self.v
        b = self.bias
        gl = self.gl
        al = self.al
        an = self.anchor
        s = burst.samples
        resting = False
        n_rest = 0
        for n in range(count):
            k = 6 * n
            a = (s[k] * ka, s[k + 1] * ka, s[k + 2] * ka)
            g = (s[k + 3] * kg, s[k + 4] * kg, s[k + 5] * kg)
            if not self.started:
                for i in range(3):
                    f[i] = a[i]
                    al[i] = a[i]
                    gl[i] = g[i]
                self.started = True
            still = True
            for i in range(3):
                gl[i] += (g[i] - gl[i]) * kr
                al[i] += (a[i] - al[i]) * kr
                if abs(g[i] - gl[i]) > cfg.rest_gyro_dps or abs(a[i] - al[i]) > cfg.rest_accel_g \
                        or abs(gl[i]) > cfg.bias_max_dps:
                    still = False
            if still:
                if self.rest_s == 0.0:
                    for i in range(3):
                        an[i] = al[i]
                elif max(abs(al[0] - an[0]), abs(al[1] - an[1]), abs(al[2] - an[2])) > cfg.rest_anchor_g:
                    still = False
            self.rest_s = min(self.rest_s + dt, cfg.rest_min_s) if still else 0.0
            resting = self.rest_s >= cfg.rest_min_s
            self.var = min(self.var + cfg.bias_drift_dps2_per_s * dt, cfg.bias_sigma_init_dps ** 2)
            if resting:
                n_rest += 1
                for i in range(3):
                    b[i] += (gl[i] - b[i]) * kb
                self.var -= self.var * kb
            px = (g[0] - b[0]) * rad
            py = (g[1] - b[1]) * rad
            pz = (g[2] - b[2]) * rad
            for x in (f, v):
                ux = x[1] * pz - x[2] * py
                uy = x[2] * px - x[0] * pz
                uz = x[0] * py - x[1] * px
                x[0] += ux + 0.5 * (uy * pz - uz * py)
                x[1] += uy + 0.5 * (uz * px - ux * pz)
                x[2] += uz + 0.5 * (ux * py - uy * px)
            w = w_rest if resting else w_motion
            for i in range(3):
                e = min(max(a[i] - f[i], -8.0), 8.0)
                v[i] += w * (e - 1.4142135623730951 * v[i])
                f[i] += w * v[i]
            if not resting:
                cx = f[1] * v[2] - f[2] * v[1]
                cy = f[2] * v[0] - f[0] * v[2]
                cz = f[0] * v[1] - f[1] * v[0]
                # the filter moved f across gravity by w * c radians; a bias error would do that
                k = w * k_motion * 180.0 / math.pi
                b[0] = min(max(b[0] + k * cx, -cfg.bias_max_dps), cfg.bias_max_dps)
                b[1] = min(max(b[1] + k * cy, -cfg.bias_max_dps), cfg.bias_max_dps)
                b[2] = min(max(b[2] + k * cz, -cfg.bias_max_dps), cfg.bias_max_dps)
                self.var -= self.var * k_var
        self.resting = resting
        o = self.offset
        if n_rest:
            # at rest |accel - offset| is 1 g: step the offset along the measured direction to make it so
            w = [al[i] - o[i] for i in range(3)]
            norm = math.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2])
            resid = norm - 1.0
            dead = cfg.accel_offset_deadband_g
            resid = resid - dead if resid > dead else resid + dead if resid < -dead else 0.0
            if max(abs(w[0]), abs(w[1]), abs(w[2])) < 2.0 and norm > 0.0 and resid != 0.0 and abs(resid) < 0.25:
                k = min(1.0, n_rest * dt / cfg.accel_offset_tau_s)
                for i in range(3):
                    o[i] = min(max(o[i] + k * resid * w[i] / norm, -0.25), 0.25)
        g = [f[i] - o[i] for i in range(3)]
        norm = math.sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2])
        if norm > 0.0:
            for i in range(3):
                self.gravity[i] = g[i] / norm

"""The cell's charge, from its voltage through the board's divider (board.py: battery_adc_pin).

A LiPo's voltage at light load says roughly how full it is: about 4.2 V full, 3.7 V at a quarter and 3.3 V
empty (where the regulator drops out). The table is the usual single-cell curve at a small load, good to
about 10 %; the status only needs to tell a full cell from one to charge tonight.
"""

# (millivolts at the cell, percent), highest first.
_CURVE_MV_PCT = ((4200, 100), (4100, 90), (4000, 78), (3900, 62), (3800, 45), (3700, 25), (3600, 10),
                 (3500, 4), (3300, 0))


def percent_from_mv(cell_mv):
    if cell_mv >= _CURVE_MV_PCT[0][0]:
        return 100
    for i in range(1, len(_CURVE_MV_PCT)):
        mv, pct = _CURVE_MV_PCT[i]
        if cell_mv >= mv:
            hi_mv, hi_pct = _CURVE_MV_PCT[i - 1]
            return pct + (cell_mv - mv) * (hi_pct - pct) // (hi_mv - mv)
    return 0


class BatteryGauge:
    def __init__(self, adc, divider=2):
        """adc: a machine.ADC on the divider's tap, read with read_uv(); divider: cell volts per tap volt."""
        self._adc = adc
        self._divider = divider

    def percent(self):
        return percent_from_mv(self._adc.read_uv() * self._divider // 1000)

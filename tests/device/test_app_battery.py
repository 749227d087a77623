"""The cell's charge from its voltage."""

from lumbo_fw.battery import BatteryGauge, percent_from_mv


class Adc:
    def __init__(self, uv):
        self.uv = uv

    def read_uv(self):
        return self.uv


def test_the_ends_and_the_steps_of_the_curve():
    assert percent_from_mv(4250) == 100
    assert percent_from_mv(4200) == 100
    assert percent_from_mv(3700) == 25
    assert percent_from_mv(3300) == 0
    assert percent_from_mv(3000) == 0


def test_between_two_steps_it_interpolates():
    # Halfway from 3.8 V (45 %) to 3.9 V (62 %): 53 %, rounded down.
    assert percent_from_mv(3850) == 53


def test_the_divider_halves_the_cell_voltage_at_the_pin():
    assert BatteryGauge(Adc(1850000)).percent() == percent_from_mv(3700)

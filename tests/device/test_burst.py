from devtest import ON_MICROPYTHON, assert_allocation_free, raises
from lumbo_fw.burst import AXES_PER_SAMPLE, Burst


def test_burst_is_preallocated_int16_zeroed():
    burst = Burst(32)
    assert len(burst.samples) == 32 * AXES_PER_SAMPLE
    assert burst.samples.typecode == "h" if not ON_MICROPYTHON else True
    assert max(burst.samples) == 0 and min(burst.samples) == 0
    burst.samples[0] = -32768
    burst.samples[1] = 32767
    assert burst.samples[0] == -32768 and burst.samples[1] == 32767


def test_bad_capacity_and_scale_are_rejected():
    raises(ValueError, Burst, 0)
    burst = Burst(4)
    raises(ValueError, burst.set_scale, 0, 65.5)
    burst.set_scale(8192, 65.5)
    assert burst.accel_lsb_per_g == 8192


def _fill(burst):
    samples = burst.samples
    i = 0
    n = burst.capacity * AXES_PER_SAMPLE
    while i < n:
        samples[i] = i - 100
        i += 1
    burst.count = burst.capacity


def mpytest_filling_a_burst_in_place_allocates_nothing():
    burst = Burst(16)
    assert_allocation_free(lambda: _fill(burst))

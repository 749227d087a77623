"""Light sleep for a board that is not there, with the emulated chips sampling on meanwhile."""

# Light sleep for a board that is not there: the clock moves on in small steps, the emulated chips keep
# sampling, and the sleep ends when the wake pin reaches its level or the time is up.
#
# It has the interface lumbo_fw.power expects of a sleeper, so the firmware's power logic runs unchanged.

import machine


class EmulatedSleep:
    def __init__(self, clock, step_ms=10):
        """clock: anything with sleep_ms(ms) (a chips.clock.ManualClock moves at once; a demo's clock may
        really wait). step_ms: how finely the wake pin is watched."""
        if step_ms < 1:
            raise ValueError("step_ms must be at least 1 ms")
        self.clock = clock
        self.step_ms = step_ms
        self.sleeps = 0
        self.slept_ms = 0

    def sleep_until(self, pin, level, max_ms):
        """Sleep up to max_ms; return True if pin (None: no pin, a plain timed sleep) reached level, which
        woke the board, False when the time ran out."""
        self.sleeps += 1
        machine.poll_all()
        if pin is not None and pin.value() == level:
            return True
        waited = 0
        while waited < max_ms:
            step = min(self.step_ms, max_ms - waited)
            self.clock.sleep_ms(step)
            waited += step
            self.slept_ms += step
            machine.poll_all()
            if pin is not None and pin.value() == level:
                return True
        return False

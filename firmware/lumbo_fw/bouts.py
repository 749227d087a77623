"""The sitting-bout timer: how long the wearer has sat, when to prompt a break, whether one was taken.

It lives on the device, so one timer follows the wearer whichever laptop they use. Once a second it gets
the posture (from PostureClassifier) and, when a break routine has just been recognised, which one.

- A bout starts when the wearer sits, dated from when the sitting began (the classifier's since_s).
- A break shorter than break_min_s (a moment up) does not end it; standing, walking or lying longer
  does, and so does a recognised routine. Time off the body counts as a break.
- When the bout reaches sit_limit_s the timer prompts, then every reprompt_s while the bout goes on.
  Prompts come only while the wearer sits: a limit reached during a moment up waits for them to sit again.
- Snooze (from the host) holds prompts back for snooze_s. A prompt due in quiet hours is skipped (and
  logged as skipped); quiet hours need the local time of day, so they apply once set_clock() was called.

Events, sink.event(t_s, kind, a, b):
    BOUT_START      a = seconds the wearer had already sat when the bout was seen, b = 0
    BOUT_END        a = bout length (s), b = length of the break that ended it so far (s)
    PROMPT          a = bout length (s), b = prompt number in this bout (1 = the first)
    PROMPT_SKIPPED  a = bout length (s), b = SKIPPED_QUIET_HOURS
    SNOOZE          a = snooze length (s), b = 0
    BREAK_TAKEN     a = routine (vocab.ROUTINE_*), b = repetitions (holds for a stretch; 0 for none/walk)
"""

from micropython import const

from lumbo_shared import settings as shared_settings
from lumbo_shared import vocab

SKIPPED_QUIET_HOURS = const(2)
_DAY_S = const(86400)

_SITTING = vocab.STATE_SITTING
_WALKING = vocab.STATE_WALKING


class BoutSettings:
    """The timer's settings (names and ranges from lumbo_shared.settings), kept apart from its state."""

    NAMES = ("sit_limit_s", "reprompt_s", "break_min_s", "snooze_s", "quiet_start_min", "quiet_end_min")

    def __init__(self, values=None):
        defaults = shared_settings.defaults()
        self.sit_limit_s = defaults["sit_limit_s"]
        self.reprompt_s = defaults["reprompt_s"]
        self.break_min_s = defaults["break_min_s"]
        self.snooze_s = defaults["snooze_s"]
        self.quiet_start_min = defaults["quiet_start_min"]
        self.quiet_end_min = defaults["quiet_end_min"]
        if values:
            self.apply(values)

    def as_dict(self):
        return {name: getattr(self, name) for name in self.NAMES}

    def apply(self, values):
        """Validate values (a dict of settings) against the current ones; change all or none.

        Raises lumbo_shared.settings.SettingError saying what is allowed. Settings of other parts (the IMU
        rate, say) are validated too but kept by their owners.
        """
        merged = self.as_dict()
        merged.update(values)
        merged = shared_settings.validate_all(merged)
        for name in self.NAMES:
            setattr(self, name, merged[name])


class BoutTimer:
    def __init__(self, sink, settings=None):
        self.sink = sink
        self.settings = settings if settings is not None else BoutSettings()
        self.in_bout = False
        self.bout_start_s = 0
        self.prompts = 0
        self._break_start_s = -1
        self._break_walk_s = 0
        self._next_prompt_s = 0
        self._snooze_until_s = -1
        self._local_offset_s = -1

    # -- from the host ------------------------------------------------------------------------------------

    def set_clock(self, local_offset_s):
        """Local time of day = (t_s + local_offset_s) mod 24 h; quiet hours apply from now on."""
        self._local_offset_s = local_offset_s % _DAY_S

    def snooze(self, t_s, snooze_s=0):
        """Hold prompts back for snooze_s (the setting when 0) from t_s."""
        if snooze_s == 0:
            snooze_s = self.settings.snooze_s
        else:
            shared_settings.validate("snooze_s", snooze_s)
        self._snooze_until_s = t_s + snooze_s
        if self.in_bout and self._next_prompt_s < self._snooze_until_s:
            self._next_prompt_s = self._snooze_until_s
        self.sink.event(t_s, vocab.EVENT_SNOOZE, snooze_s, 0)

    def bout_s(self, t_s):
        """Length of the current bout at t_s (0 when there is none)."""
        return t_s - self.bout_start_s if self.in_bout else 0

    # -- once a second ------------------------------------------------------------------------------------

    def second(self, t_s, state, since_s, routine=vocab.ROUTINE_NONE, reps=0):
        """The posture for the second ending at t_s, since when it holds, and a routine just recognised."""
        s = self.settings
        if routine != vocab.ROUTINE_NONE:
            if self.in_bout:
                self._end(t_s, t_s - self._break_start_s if self._break_start_s >= 0 else 0)
            self.sink.event(t_s, vocab.EVENT_BREAK_TAKEN, routine, reps)
            if state != _SITTING:
                return
        if state == _SITTING:
            if not self.in_bout:
                start = since_s if since_s < t_s else t_s - 1
                self.in_bout = True
                self.bout_start_s = start
                self.prompts = 0
                self._next_prompt_s = start + s.sit_limit_s
                if self._snooze_until_s > self._next_prompt_s:
                    self._next_prompt_s = self._snooze_until_s
                self.sink.event(t_s, vocab.EVENT_BOUT_START, t_s - start, 0)
            self._break_start_s = -1
            self._break_walk_s = 0
            if t_s >= self._next_prompt_s:
                self._prompt(t_s)
            return
        if not self.in_bout:
            return
        if self._break_start_s < 0:
            self._break_start_s = since_s if since_s < t_s else t_s - 1
            self._break_walk_s = 0
        if state == _WALKING:
            self._break_walk_s += 1
        if t_s - self._break_start_s >= s.break_min_s:
            walked = self._break_walk_s * 2 >= t_s - self._break_start_s
            self._end(t_s, t_s - self._break_start_s)
            self.sink.event(t_s, vocab.EVENT_BREAK_TAKEN, vocab.ROUTINE_WALK if walked else vocab.ROUTINE_NONE, 0)

    def _end(self, t_s, break_s):
        end = self._break_start_s if self._break_start_s >= 0 else t_s
        self.sink.event(t_s, vocab.EVENT_BOUT_END, end - self.bout_start_s, break_s)
        self.in_bout = False
        self._break_start_s = -1

    def _prompt(self, t_s):
        s = self.settings
        self._next_prompt_s += s.reprompt_s
        if self._next_prompt_s <= t_s:
            self._next_prompt_s = t_s + s.reprompt_s
        bout = t_s - self.bout_start_s
        if self._quiet(t_s):
            self.sink.event(t_s, vocab.EVENT_PROMPT_SKIPPED, bout, SKIPPED_QUIET_HOURS)
            return
        self.prompts += 1
        self.sink.event(t_s, vocab.EVENT_PROMPT, bout, self.prompts)

    def _quiet(self, t_s):
        s = self.settings
        if self._local_offset_s < 0 or s.quiet_start_min == s.quiet_end_min:
            return False
        minute = ((t_s + self._local_offset_s) % _DAY_S) // 60
        if s.quiet_start_min < s.quiet_end_min:
            return s.quiet_start_min <= minute < s.quiet_end_min
        return minute >= s.quiet_start_min or minute < s.quiet_end_min

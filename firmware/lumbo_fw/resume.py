"""Where the last run left off, read from the newest records of the device log.

After a restart (a crash, a flat battery, an update) the device learns from its own log when it last
wrote something and whether a sitting bout was open then, with how many prompts. The log is the one record
that survives a power cut, so nothing else has to be written for this.
"""

import struct

from micropython import const

from lumbo_shared import protocol, vocab

# Records looked at, newest first: six hours of minute summaries and their events, read one by one.
MAX_BACK = const(400)


class LastRun:
    def __init__(self):
        # Unix time up to which the log shows the device running (-1: an empty log): an event's time, or
        # the end of a minute summary (written when that minute was over).
        self.last_t_s = -1
        self.bout_start_s = -1  # Unix time an open bout began (-1: no bout was open)
        self.prompts = 0  # prompts in that bout so far


def last_run(log, max_back=MAX_BACK):
    """A LastRun from the newest records of log (a lumbo_fw.devlog.DevLog)."""
    found = LastRun()
    seq = log.next_seq - 1
    stop = seq - max_back
    if stop < log.oldest_seq - 1:
        stop = log.oldest_seq - 1
    while seq > stop:
        item = log.read(seq)
        seq -= 1
        if item is None:
            continue
        t_s = struct.unpack_from("<I", item, 6)[0]
        if item[0] != protocol.ITEM_EVENT:
            if t_s + 60 > found.last_t_s:
                found.last_t_s = t_s + 60
            continue
        if t_s > found.last_t_s:
            found.last_t_s = t_s
        kind = item[10]
        a, b = struct.unpack_from("<ii", item, 11)
        if kind == vocab.EVENT_PROMPT and b > found.prompts:
            found.prompts = b
        elif kind == vocab.EVENT_BOUT_END or kind == vocab.EVENT_BREAK_TAKEN:
            found.prompts = 0
            return found
        elif kind == vocab.EVENT_BOUT_START:
            found.bout_start_s = t_s - a
            return found
    found.prompts = 0
    return found

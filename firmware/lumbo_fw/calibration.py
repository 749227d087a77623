"""What the device has learned about its wearer and mounting, kept in /data so a restart keeps it.

One file holds the posture classifier's upright reference (and how it was learned), the mounting (upright,
sagittal axis and sign) and the tilt filter's state (gravity and gyro bias). It is replaced atomically
(written beside, renamed over) and carries a CRC-32: a damaged or foreign file is ignored, and the device
learns again as on its first day.
"""

import os
import struct
from binascii import crc32

from lumbo_fw.mounting import Mounting
from lumbo_fw.tilt import TiltFilter

_MAGIC = b"LCA1"
_HEAD = "<4sBiiiHH"  # magic, reference kind, upright x y z (q14), mounting bytes, tilt bytes


class CalibrationStore:
    def __init__(self, path):
        self.path = path
        self.damaged = False
        self.saves = 0

    def save(self, processor):
        mounting = processor.mounting.save()
        tilt = processor.tilt.save()
        up = processor.classifier.upright_q14
        head = struct.pack(_HEAD, _MAGIC, processor.classifier.reference_kind, up[0], up[1], up[2],
                           len(mounting), len(tilt))
        data = head + mounting + tilt
        tmp = self.path + ".new"
        with open(tmp, "wb") as f:
            f.write(data)
            f.write(struct.pack("<I", crc32(data)))
        os.rename(tmp, self.path)
        self.saves += 1

    def restore(self, processor):
        """Load the saved calibration into processor; True if there was a sound one."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return False
        size = struct.calcsize(_HEAD)
        sizes_ok = len(data) >= size + 4
        if sizes_ok:
            magic, kind, ux, uy, uz, n_mounting, n_tilt = struct.unpack_from(_HEAD, data, 0)
            sizes_ok = (magic == _MAGIC and n_mounting == Mounting.save_size() and n_tilt == TiltFilter.save_size()
                        and len(data) == size + n_mounting + n_tilt + 4)
        if not sizes_ok or crc32(data[0:len(data) - 4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
            self.damaged = True
            return False
        try:
            processor.mounting.restore(data[size:size + n_mounting])
            processor.tilt.restore(data[size + n_mounting:size + n_mounting + n_tilt])
        except ValueError:
            self.damaged = True
            processor.mounting.forget()
            processor.tilt.reset()
            return False
        up = processor.classifier.upright_q14
        up[0] = ux
        up[1] = uy
        up[2] = uz
        processor.classifier.reference_kind = kind
        return True

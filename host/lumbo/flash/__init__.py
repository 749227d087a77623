"""Deploying the firmware to a board: find it, check it, compile for it, copy what changed, switch, verify.

The board's layout (see board/lumbo_loader.py):

    /boot.py, /main.py, /lumbo_loader.py   the loader, written by `lumbo flash`
    /lumbo/a/, /lumbo/b/                   two firmware folders: the running one and the one staged next
    /lumbo/a/manifest.json                 version, hash and size of every file; written last
    /lumbo/active                          names the running folder; replaced by one rename
    /data/                                 the wearer's calibration and settings; never touched
"""


class FlashError(Exception):
    """The deploy failed in a way the user can act on; the message says how."""

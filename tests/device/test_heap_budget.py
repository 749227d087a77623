"""What the firmware's protocol, device log and BLE service cost in RAM once imported (MicroPython only).

On the board these modules share about 100 KB of free heap with the rest of the firmware; the figure on
the unix port (64-bit, objects about twice the board's size) is kept under a budget so it cannot grow
unnoticed. Freezing the modules into the firmware image would put their code in flash instead.
"""

import gc

BUDGET_X64_BYTES = 58 * 1024


def mpytest_protocol_log_and_ble_service_fit_their_heap_budget():
    gc.collect()
    before = gc.mem_alloc()
    from lumbo_fw import ble_security, ble_service, devlog, settings_store  # noqa: F401
    from lumbo_shared import protocol, settings, vocab  # noqa: F401

    gc.collect()
    used = gc.mem_alloc() - before
    print("protocol, vocab, settings, device log and BLE service: %d bytes of heap" % used)
    assert used <= BUDGET_X64_BYTES, "the modules take %d bytes of heap; the budget is %d" % (used, BUDGET_X64_BYTES)

"""Score the firmware's own algorithms on recordings (`lumbo eval WHAT DIR`)."""

"""Score the firmware's algorithms on recordings (`lumbo eval ...`): each module here is one evaluation."""

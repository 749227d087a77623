"""lumbo: the desktop side of an open low-back wearable that prompts desk workers to take breaks."""

__version__ = "0.1.0"

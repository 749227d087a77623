"""Code and data both the device and the host use, in the Python subset both interpreters run."""

"""On an emulated board built without Bluetooth, `import bluetooth` fails as it does on such a board."""

raise ImportError("no module named 'bluetooth'")

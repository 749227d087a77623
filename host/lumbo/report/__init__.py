"""Reports of sitting, bouts, breaks and posture for a day or a week: terminal, HTML and PNG."""

"""Break prompts: choosing the routine, deciding whether to show it now, and showing it."""

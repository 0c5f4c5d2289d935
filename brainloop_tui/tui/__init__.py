"""The Textual face: `brainloop`."""

"""The async domain of Brainloop. Both faces (tui, headless) sit on it; it never imports either."""

"""Brainloop: propose → audit → refine → commit, with a fast LLM under human review."""

__version__ = "0.1.0"

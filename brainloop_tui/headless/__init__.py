"""The MCP face: `brainloop --headless`."""

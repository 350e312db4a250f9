"""promptopt: find and remove token waste in LLM prompts, prove quality held, show the saving in dollars."""

__version__ = "0.1.0"

"""Cost: prices (litellm's map, read as JSON), usage from config, projections, base-vs-head diffs.

Nothing here imports litellm: the price map is a JSON file inside litellm's wheel.
"""

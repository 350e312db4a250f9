"""Eval regression checker: suite -> prompt variants -> runner (litellm, cache) -> scores -> compare -> verdict.

Nothing here imports litellm, torch or transformers at module level; `runner` and `local_provider`
import them inside the functions that call a model.
"""

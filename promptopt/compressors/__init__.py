"""Prompt compressors: model-based (llmlingua) and the spans every compressor must keep (protect)."""

"""Proposal engines: the offline search engine and the LLM engine."""

"""Pydantic models for config.yaml, one module per feature."""

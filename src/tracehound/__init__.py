"""tracehound: tracing and evaluation for LLM agents."""

__version__ = "0.1.0"

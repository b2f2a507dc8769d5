"""LLM client integrations, one module each, imported only when used.

``llm`` (``tracehound.llm_call`` for any client), ``openai`` (``tracehound.wrap_openai``),
``anthropic`` (``tracehound.wrap_anthropic``). Each records an ``llm`` span with model, messages,
tokens (cached and reasoning too, in ``metadata.usage``) and cost from ``tracehound.sdk.pricing``.
"""

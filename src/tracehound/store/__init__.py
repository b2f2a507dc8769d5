"""Storage: the span store and the meta store, behind the protocols in ``base``."""

"""Governance: credentials (API keys, users, passwords), roles, retention, audit and project management.

Records live behind ``MetaStore.governance`` (``store/governance.py``); this package holds the rules
that use them, shared by the server, the CLI and the background jobs.
"""

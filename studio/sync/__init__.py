"""Accounts, tokens, the platform API client and the sync engine (no Qt)."""

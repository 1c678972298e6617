"""Accounts: residents' and staff accounts, passwords, phones."""

"""Accounts of the admin web: users with roles, API tokens, sessions, and the audit log.

The modules are split by noun: `records` (the stored values), `roles`, `rules` (what a name,
a password or a label may be), `passwords` (argon2), `secrets` (tokens and their hashes),
`service` (Accounts) and `audit` (AuditLog). This package imports nothing itself, so that the
store can use its records without importing the services built on the store.
"""

"""Accounts of the admin web: users with roles, API tokens, sessions, the audit log and the
login throttle; services over the store, whose values live in taskdesk.models (accounts,
roles, account_rules).

Split by noun: `passwords` (argon2), `secrets` (tokens and their hashes), `service`
(Accounts: each change made for someone writes its audit entry in its own transaction),
`audit` (AuditLog, and `audited`: a change and its entry in one transaction) and `throttle`
(LoginThrottle).
"""

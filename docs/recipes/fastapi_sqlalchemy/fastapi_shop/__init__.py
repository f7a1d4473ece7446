"""A small shop on FastAPI + SQLAlchemy 2 that shares its database with taskdesk: an order
and the task that sends its receipt are written in one transaction, and taskdesk's admin is
mounted at /tasks for the shop's staff (docs/recipes.md)."""

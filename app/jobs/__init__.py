"""Background jobs: one enqueue API; procrastinate on PostgreSQL, a table-backed queue on SQLite.

Placed just above `core`: every domain that needs work done later may enqueue here.
"""

"""The people's migrations (Alembic's branch `people`), one file per revision, oldest first by number."""

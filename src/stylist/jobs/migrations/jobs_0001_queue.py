"""The job queue's tables in PostgreSQL: Procrastinate's own schema, then stylist's two beside it.

Revision ID: jobs_0001
Revises:
Create Date: 2026-12-07

Procrastinate's schema is its schema.sql, applied as Procrastinate applies it (`procrastinate schema --apply`)
unless a database already has it. A later Procrastinate that changes its schema ships migration scripts
(procrastinate/sql/migrations/); each one it needs becomes a revision here. The SQLite queue (jobs.db) keeps
its own table and is not migrated by Alembic.
"""

from alembic import op

revision = "jobs_0001"
down_revision = None
branch_labels = ("jobs",)
depends_on = None

STYLIST_TABLES = """
CREATE TABLE IF NOT EXISTS stylist_workers (
    id bigint PRIMARY KEY REFERENCES procrastinate_workers (id) ON DELETE CASCADE,
    name text NOT NULL,
    lease double precision NOT NULL
);
CREATE TABLE IF NOT EXISTS stylist_jobs (
    id text PRIMARY KEY,
    job_id bigint NOT NULL UNIQUE REFERENCES procrastinate_jobs (id) ON DELETE CASCADE,
    user_id text NOT NULL,
    progress double precision NOT NULL DEFAULT 0,
    message text NOT NULL DEFAULT '',
    params jsonb NOT NULL,
    result jsonb,
    error text,
    max_attempts integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX IF NOT EXISTS stylist_jobs_by_user ON stylist_jobs (user_id);
"""

def upgrade() -> None:
    from procrastinate.schema import SchemaManager

    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # psycopg runs each script itself: given no parameters, it sends every statement in it as it is, the
    # functions' $$ bodies included.
    driver = bind.connection.driver_connection
    assert driver is not None, "a connection in use has its driver's"
    if bind.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar() is None:
        driver.execute(SchemaManager.get_schema())
    driver.execute(STYLIST_TABLES)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS stylist_jobs, stylist_workers")

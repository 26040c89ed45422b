"""Alembic environment: online only, version table inside schema `jobsimport`."""

import sqlalchemy as sa
from alembic import context

from jobsimport_dagster.db.tables import DAGSTER_SCHEMA, SCHEMA, metadata

config = context.config
connectable = config.attributes.get("connection")


def _run(connection: sa.Connection) -> None:
    for schema in (SCHEMA, DAGSTER_SCHEMA):
        connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    connection.commit()
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=SCHEMA,
        include_schemas=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connectable is not None:
    _run(connectable)
else:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()

"""Databases the storage and delivery tests run against: a SQLite file always, and PostgreSQL when
BRIEFBOT_TEST_DATABASE_URL is set (`.ci/run` starts one; see notes/postgres_ci.sh), skipped otherwise.

Use it with `from dbtest import db_url_fixture  # noqa: F401`; tests then take a `db_url` argument.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine

PG_ENV = "BRIEFBOT_TEST_DATABASE_URL"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def reset_database(url: str) -> None:
    """Drop every table (ours, Alembic's, APScheduler's) so each test starts from an empty schema."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        meta.drop_all(engine)
    finally:
        engine.dispose()


def postgres_url() -> str:
    url = os.environ.get(PG_ENV, "")
    if not url:
        pytest.skip(f"needs PostgreSQL: {PG_ENV} is not set (.ci/run starts one; SQLite runs the same tests)")
    return url


def database_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'briefbot.db'}"
    url = postgres_url()
    reset_database(url)
    return url


@pytest.fixture(name="db_url", params=BACKENDS)
def db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)

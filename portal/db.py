"""Database foundations shared by every area: the declarative base, the naming
convention every constraint follows, and a UTC-aware datetime column type."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, Select, event, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Fixed from the first migration on, so constraint names are predictable and
# batch migrations on SQLite can find them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores instants in UTC and always hands back timezone-aware values.

    SQLite has no timezone type and returns naive datetimes; PostgreSQL
    returns aware ones. Both come back as aware UTC here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """SQLite enforces foreign keys only when asked, per connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


@dataclass(frozen=True)
class RowPage:
    """One page of a query that returns several columns per row (Flask-SQLAlchemy's
    own paginate keeps only the first column)."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate_rows(query: Select, page: int, per_page: int) -> RowPage:
    """Two queries whatever the size: the count, then the rows of this page."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = min(page, max(1, -(-total // per_page)))
    items = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return RowPage(items=items, page=page, per_page=per_page, total=total)


def insert_unless_present(model, values: dict) -> bool:
    """Insert a row unless a unique constraint says it is there already: True when it
    was inserted. Safe when two requests insert the same row at once."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    inserted = db.session.execute(
        insert(model).values(**values).on_conflict_do_nothing()
        .returning(*model.__table__.primary_key.columns)).first()
    return inserted is not None

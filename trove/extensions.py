"""Flask extensions, created unbound and initialised by ``create_app``; the model base."""

from __future__ import annotations

import enum
from typing import Any

from flask_compress import Compress
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Enum, MetaData, func, select
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraints get predictable names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def enum_column(cls: type[enum.Enum], *, length: int, **kwargs: Any) -> MappedColumn[Any]:
    """Return a column storing ``cls``'s values as a plain string of ``length`` (no DB enum)."""
    return mapped_column(
        Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]),
        **kwargs,
    )


def count_each(column: Any, values: type[enum.Enum], *where: Any) -> dict[str, int]:
    """Return how many rows (matching ``where``) hold each member of ``values`` in ``column``."""
    counts = {member.value: 0 for member in values}
    for value, n in db.session.execute(
        select(column, func.count()).where(*where).group_by(column)
    ):
        counts[values(value).value] = n
    return counts


db = SQLAlchemy(model_class=Base)
compress = Compress()
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
htmx = HTMX()

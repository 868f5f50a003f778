"""Counting and slicing an ordered query: the one paging helper every list uses."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session

from api.paging import PageParams


def fetch_page(session: Session, query: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.offset(params.offset).limit(params.per_page)).unique())
    return rows, total


def iter_rows(
    session: Session, query: Select[Any], options: tuple[Any, ...] = (), chunk: int = 200
) -> Iterator[Any]:
    """Every row of an ordered query of one table, for NDJSON streams and dumps: the ids in
    order first (small), then the rows a chunk at a time by id, each chunk dropped from the
    session once yielded. Memory stays flat, and each chunk costs the same however deep
    into a large table it is (no OFFSET)."""
    model = query.column_descriptions[0]["entity"]
    ids = list(session.scalars(query.with_only_columns(model.id)))
    for start in range(0, len(ids), chunk):
        wanted = ids[start : start + chunk]
        rows = session.scalars(select(model).where(model.id.in_(wanted)).options(*options))
        by_id = {row.id: row for row in rows.unique()}
        yield from (by_id[i] for i in wanted if i in by_id)
        session.expunge_all()

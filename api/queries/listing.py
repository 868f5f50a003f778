"""Counting and slicing an ordered query: the one paging helper every list uses."""

from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session

from api.paging import PageParams


def fetch_page(session: Session, query: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.offset(params.offset).limit(params.per_page)).unique())
    return rows, total

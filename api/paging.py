"""The HSDS Page envelope and the page/per_page parameters every list takes."""

import math
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 1000
PAGE_MAX = 2**31 - 1  # any page past the end is simply empty; beyond this is not a number we take


class PageParams(BaseModel):
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_params(
    page: Annotated[int, Query(ge=1, le=PAGE_MAX, description="1-based page number.")] = 1,
    per_page: Annotated[
        int, Query(ge=1, le=PER_PAGE_MAX, description="Records per page (at most 1000).")
    ] = PER_PAGE_DEFAULT,
) -> PageParams:
    return PageParams(page=page, per_page=per_page)


Paging = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    """HSDS/ORUK paginated envelope."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[T]


def make_page(contents: list[T], total_items: int, params: PageParams) -> Page[T]:
    return Page(**page_fields(contents, total_items, params))


def page_fields(contents: list[Any], total_items: int, params: PageParams) -> dict[str, Any]:
    """The envelope as a dict in `Page`'s field order, for rows already in their JSON shape."""
    total_pages = math.ceil(total_items / params.per_page) if total_items else 0
    return {
        "total_items": total_items,
        "total_pages": total_pages,
        "page_number": params.page,
        "size": len(contents),
        "first_page": params.page == 1,
        "last_page": params.page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }

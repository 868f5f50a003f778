"""Each live service under each word of its names and taxonomy terms, kept in the order a
search lists them: the search's pre-sorted index for words found in those places.

A search ranks a service by where its words are (api/search.py): a service name counts
most, then alternate and organisation names, then taxonomy term names, then descriptions.
For a one-word search this order is known before the query: a word's services by place,
then name, then id. So a page of a common word reads one index range per word it starts,
not every match (api/search_postings.py). Words only in descriptions are not posted: those
services all rank last, by name, and are read from `search_document` in name order.

Rows are written only with the service's search document (api/search.py
`index_service`), from the same words; a retired service has none.
"""

import uuid

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from models.text import NAME_MAX

# Where a word is, heaviest first (see api/search.py's weights).
PLACE_NAME = 0
PLACE_OTHER_NAMES = 1
PLACE_TERMS = 2

# Words are compared byte by byte, so that a prefix's words are one index range whatever
# the database's collation.
WORD = String(64).with_variant(String(64, collation="C"), "postgresql")


class SearchPosting(SQLModel, table=True):
    __tablename__ = "search_posting"
    __table_args__ = (
        # A word's services in list order: one range, read from the start.
        Index("ix_search_posting_list", "word", "place", "service_name", "service_id"),
        # SQLite keeps the rows in the primary key's b-tree itself (a service's rows
        # together, for rewriting them), so the list index is the only other copy.
        {"sqlite_with_rowid": False},
    )

    service_id: uuid.UUID = Field(primary_key=True, foreign_key="service.id")
    word: str = Field(primary_key=True, sa_type=WORD)  # type: ignore[call-overload]
    place: int  # PLACE_NAME, PLACE_OTHER_NAMES or PLACE_TERMS
    # The service's own name, copied: the order within a place.
    service_name: str = Field(max_length=NAME_MAX)

"""How many live services have a word starting with each prefix: the count of a one-word
search, read in one row instead of counting every match in the search index.

A search word matches a service when it starts one of the service's words
(api/search.py), so the count of a one-word search is exactly the count of services with
that prefix among the prefixes of their words. The empty prefix, which every document
has, counts the documents. Rows change only with the search documents
(api/search_counts.py, called by `index_service` and `rebuild_search_index`); a prefix no
service has any more has no row.

Prefixes are compared byte by byte, as posted words are (`WORD`), so the words a query word
starts are one index range whatever the database's collation (api/search_counts.py
`words_starting`).
"""

from sqlmodel import Field, SQLModel

from models.search_posting import WORD


class SearchPrefix(SQLModel, table=True):
    __tablename__ = "search_prefix"

    prefix: str = Field(primary_key=True, sa_type=WORD)  # type: ignore[call-overload]
    services: int

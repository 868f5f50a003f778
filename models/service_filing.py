"""Which live services are filed under each taxonomy term and each taxonomy, kept ready to
page through: the taxonomy filters' index.

A service linked to a term is filed under that term, under every broader term above it
(so a broader term finds its narrower terms' services) and under the term's taxonomy. Each
row repeats the service's name and ages, so a filtered page, however deep, and its count
read one index range and never the service table. Rows are written only by api/filing.py,
whenever a service's search document is (api/search.py `index_service`); a retired
service has none.
"""

import uuid

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from models.text import NAME_MAX

FILED_UNDER_TERM = "term"
FILED_UNDER_TAXONOMY = "taxonomy"


class ServiceFiling(SQLModel, table=True):
    __tablename__ = "service_filing"
    __table_args__ = (
        # A filter's page walks (kind, key) in list order, the ages at hand for its filters.
        Index(
            "ix_service_filing_list",
            "kind",
            "key",
            "name",
            "service_id",
            "minimum_age",
            "maximum_age",
        ),
        # A filter's count with an age limit reads only the services within it.
        Index("ix_service_filing_ages", "kind", "key", "maximum_age", "minimum_age"),
    )

    # FILED_UNDER_TERM (`key` is a taxonomy_term id) or FILED_UNDER_TAXONOMY (a taxonomy id).
    kind: str = Field(primary_key=True, sa_type=String(8))  # type: ignore[call-overload]
    key: uuid.UUID = Field(primary_key=True)
    service_id: uuid.UUID = Field(primary_key=True, foreign_key="service.id", index=True)
    # The service's own, copied: the list's order and its age filters.
    name: str = Field(max_length=NAME_MAX)
    minimum_age: int | None = None
    maximum_age: int | None = None

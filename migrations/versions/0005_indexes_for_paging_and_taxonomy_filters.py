"""indexes for paging and taxonomy filters at scale

`ix_service_live_name_id`: the live services in list order (name, id), partial on
`retired_at IS NULL`, so a page of the unfiltered list (deep ones included) and its count
read one index; `ix_service_live_minimum_age` and `_maximum_age` (with name and id) do
the same for an age filter. Two covering indexes on `attribute` replace its single-column
ones: by term (`ix_attribute_term_entity_link`: the services under some terms, for a
count) and by service (`ix_attribute_link_entity_term`: is this service under some terms,
for a page).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 19:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("retired_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_service_live_name_id",
        "service",
        ["name", "id"],
        unique=False,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    for age in ("minimum_age", "maximum_age"):
        op.create_index(
            f"ix_service_live_{age}",
            "service",
            [age, "name", "id"],
            unique=False,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )
    op.create_index(
        "ix_attribute_term_entity_link",
        "attribute",
        ["taxonomy_term_id", "link_entity", "link_id"],
        unique=False,
    )
    op.drop_index("ix_attribute_taxonomy_term_id", table_name="attribute")
    op.create_index(
        "ix_attribute_link_entity_term",
        "attribute",
        ["link_id", "link_entity", "taxonomy_term_id"],
        unique=False,
    )
    op.drop_index("ix_attribute_link_id", table_name="attribute")


def downgrade() -> None:
    op.create_index("ix_attribute_link_id", "attribute", ["link_id"], unique=False)
    op.drop_index("ix_attribute_link_entity_term", table_name="attribute")
    op.create_index(
        "ix_attribute_taxonomy_term_id", "attribute", ["taxonomy_term_id"], unique=False
    )
    op.drop_index("ix_attribute_term_entity_link", table_name="attribute")
    op.drop_index("ix_service_live_maximum_age", table_name="service")
    op.drop_index("ix_service_live_minimum_age", table_name="service")
    op.drop_index("ix_service_live_name_id", table_name="service")

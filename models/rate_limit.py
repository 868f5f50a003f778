"""Request counts per client per fixed window, when the database is the limiter's store.

`client` is a keyed hash that changes with every window, never an address or a key.
"""

from sqlalchemy import BigInteger, Column, Integer
from sqlmodel import Field, SQLModel


class RateLimitWindow(SQLModel, table=True):
    __tablename__ = "rate_limit_window"

    client: str = Field(primary_key=True, max_length=64)
    window_start: int = Field(
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    )
    hits: int = Field(default=0, sa_column=Column(Integer, nullable=False))

"""Queries over reporting channels."""

import uuid

from sqlalchemy import Select, String, cast, select
from sqlmodel import Session

from models import ReportingChannel
from models.reporting_channel import ChannelMethod, SuitableFor, Urgency


def reporting_channels_query(
    urgency: Urgency | None = None,
    method: ChannelMethod | None = None,
    suitable_for: SuitableFor | None = None,
) -> Select[tuple[ReportingChannel]]:
    query = (
        select(ReportingChannel)
        .where(ReportingChannel.retired_at.is_(None))  # type: ignore[union-attr]
        .order_by(ReportingChannel.name, ReportingChannel.id)
    )
    if urgency is not None:
        query = query.where(ReportingChannel.urgency == urgency.value)
    if method is not None:
        query = query.where(ReportingChannel.method == method.value)
    if suitable_for is not None:
        # suitable_for is a JSON list of enum codes, so its quoted code is a safe needle
        # on both SQLite and PostgreSQL.
        needle = f'%"{suitable_for.value}"%'
        query = query.where(cast(ReportingChannel.suitable_for, String).like(needle))
    return query


def get_reporting_channel(session: Session, channel_id: uuid.UUID) -> ReportingChannel | None:
    return session.scalars(
        select(ReportingChannel).where(
            ReportingChannel.id == channel_id,
            ReportingChannel.retired_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()

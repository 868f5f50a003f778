"""Queries over services at locations for streaming: the filters and order of the list."""

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from api.queries.services import FULL_SERVICE, ServiceFilters, filtered_service_ids
from models import Service, ServiceAtLocation

# A fully nested service at a location: its location and its fully nested service.
FULL_SERVICE_AT_LOCATION = (
    selectinload(ServiceAtLocation.service).options(*FULL_SERVICE),  # type: ignore[arg-type]
)


def service_at_locations_query(
    session: Session, filters: ServiceFilters
) -> Select[tuple[ServiceAtLocation]]:
    """Every match, in the order of `/service_at_locations` (rank, service name, id)."""
    ids = filtered_service_ids(session, filters).subquery("matched")
    return (
        select(ServiceAtLocation)
        .join(ids, ids.c.id == ServiceAtLocation.service_id)
        .join(Service, Service.id == ServiceAtLocation.service_id)  # type: ignore[arg-type]
        .order_by(ids.c.rank.desc(), Service.name, ServiceAtLocation.id)
    )

"""Public shapes of service_at_location: a list item and the fully nested record."""

import uuid

from models.location import LocationPublic, ServiceAtLocationBase
from models.service import ServiceFull, ServicePublic


class ServiceAtLocationItem(ServiceAtLocationBase):
    id: uuid.UUID
    location: LocationPublic
    service: ServicePublic


class ServiceAtLocationFull(ServiceAtLocationItem):
    service: ServiceFull

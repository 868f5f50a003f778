"""The fully nested organisation of `/organizations/{id}`, with its services listed."""

from sqlmodel import Field

from models.attribute import AttributePublic
from models.contact_details import ContactPublic, PhonePublic
from models.location import LocationPublic
from models.organization import OrganizationPublic
from models.service import ServiceSummary
from models.source import CitationPublic


class OrganizationFull(OrganizationPublic):
    services: list[ServiceSummary] = []
    phones: list[PhonePublic] = []
    contacts: list[ContactPublic] = []
    locations: list[LocationPublic] = []
    attributes: list[AttributePublic] = []
    sources: list[CitationPublic] = Field(
        default=[], description="Extension: the sources that back this record's facts."
    )

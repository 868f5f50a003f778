"""SQLModel tables and their public schemas: the single source of truth for DB and API."""

from models.api_key import ApiKey
from models.attribute import Attribute
from models.change import Change
from models.change_request import ChangeRequest
from models.contact_details import Contact, Language, Phone, Schedule, ServiceArea
from models.dataset_state import DatasetState
from models.guidance import Guidance
from models.location import Location, ServiceAtLocation
from models.organization import Organization
from models.rate_limit import RateLimitWindow
from models.reporting_channel import ReportingChannel
from models.search_document import SearchDocument
from models.search_posting import SearchPosting
from models.search_prefix import SearchPrefix
from models.service import Service
from models.service_filing import ServiceFiling
from models.source import Citation, Source
from models.taxonomy import Taxonomy, TaxonomyTerm

__all__ = [
    "ApiKey",
    "Change",
    "ChangeRequest",
    "Attribute",
    "Citation",
    "Contact",
    "DatasetState",
    "Guidance",
    "Language",
    "Location",
    "Organization",
    "Phone",
    "RateLimitWindow",
    "ReportingChannel",
    "Schedule",
    "SearchDocument",
    "SearchPosting",
    "SearchPrefix",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "ServiceFiling",
    "Source",
    "Taxonomy",
    "TaxonomyTerm",
]

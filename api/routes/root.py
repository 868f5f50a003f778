"""`/v1/`: what this API is (HSDS version, ORUK profile, where its OpenAPI lives)."""

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select, union_all
from starlette.responses import Response

from api.deps import SessionDep, SettingsDep
from api.errors import problem_responses
from api.rendering import json_response
from models import Guidance, Organization, ReportingChannel, Service

router = APIRouter(tags=["About"])

ORUK_PROFILE_URL = "https://openreferraluk.org/specifications/3.0/"
OGL_V3 = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


class License(BaseModel):
    name: str
    url: str


class ApiDetails(BaseModel):
    version: str
    profile: str
    openapi_url: str
    name: str
    description: str
    publisher: str
    license: License
    last_modified: datetime | None = None
    data_package_url: str = Field(
        description="Extension: the whole directory as an HSDS tabular data package (zip)."
    )


@router.get(
    "/",
    operation_id="getApiDetails",
    summary="About this API",
    response_model=ApiDetails,
    # It takes no parameters, so no specific client error applies.
    responses=problem_responses("4XX"),
)
def api_details(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    base = (settings.public_base_url or str(request.base_url)).rstrip("/")
    last_modified = session.scalar(
        select(
            func.max(
                union_all(
                    *(
                        select(t.last_modified.label("at"))
                        for t in (Organization, Service, ReportingChannel, Guidance)  # type: ignore[attr-defined]
                    )
                )
                .subquery()
                .c.at
            )
        )
    )
    return json_response(
        ApiDetails(
            version="3.0",
            profile=ORUK_PROFILE_URL,
            openapi_url=f"{base}/v1/openapi.json",
            name="helpdir",
            description="Open data directory of help for people affected by stalking and "
            "harassment in England: services, eligibility, contact methods and ways to report.",
            publisher="helpdir",
            license=License(name="Open Government Licence v3.0", url=OGL_V3),
            last_modified=last_modified,
            data_package_url=f"{base}/v1/export/hsds.zip",
        )
    )

"""`/v1/export/hsds.zip`: the whole directory as an HSDS 3.0 tabular data package."""

import os

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from api.errors import problem_responses
from api.open_data.served import PackageFiles
from api.response_cache import etag_matches

router = APIRouter(prefix="/export", tags=["Open data"])

PACKAGE_DESCRIPTION = (
    "A zip of one CSV per HSDS table helpdir uses (HSDS column names), the `helpdir_*` "
    "extension tables (reporting channels, guidance, sources, citations) and "
    "`datapackage.json` (Frictionless Tabular Data Package: licence OGL v3.0, sources, "
    "`created` = when the directory last changed). The same bytes for as long as the "
    "directory is unchanged: a strong `ETag`, `304` on `If-None-Match`, and `Range` requests."
)


class PackageFile(FileResponse):
    """The file, without the file's own time: anonymous readers get the directory's
    Last-Modified (api/response_cache.py), and readers with a key get none, like any read."""

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        super().set_stat_headers(stat_result)
        del self.headers["last-modified"]


def _packages(request: Request) -> PackageFiles:
    """One per app: it knows which version's file is current and builds the next one."""
    state = request.app.state
    if getattr(state, "hsds_packages", None) is None:
        state.hsds_packages = PackageFiles(state.engine, state.settings.export_dir)
    packages: PackageFiles = state.hsds_packages
    return packages


@router.get(
    "/hsds.zip",
    operation_id="getHsdsDataPackage",
    summary="Download the directory as an HSDS tabular data package (zip)",
    description=PACKAGE_DESCRIPTION + " The columns and the import are in docs/open-data.md.",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The data package.",
            "content": {
                "application/zip": {
                    "schema": {"type": "string", "contentMediaType": "application/zip"}
                }
            },
        },
        # It takes no parameters, so no specific client error applies.
        **problem_responses("4XX"),
    },
)
def get_hsds_package(request: Request) -> Response:
    package = _packages(request).current()
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag_matches(if_none_match.encode(), package.etag.encode()):
        return Response(status_code=304, headers={"ETag": package.etag})
    return PackageFile(
        package.path,
        media_type="application/zip",
        filename="helpdir-hsds.zip",
        headers={"ETag": package.etag},
    )

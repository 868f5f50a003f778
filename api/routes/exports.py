"""`/v1/export/hsds.zip`: the whole directory as an HSDS 3.0 tabular data package."""

import os

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from api.compression import request_accepts_gzip
from api.errors import problem_responses
from api.open_data.served import ServedPackage
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
    return send_package(
        request, request.app.state.hsds_packages.current(), "application/zip", "helpdir-hsds.zip"
    )


def send_package(
    request: Request,
    package: ServedPackage,
    media_type: str,
    filename: str | None = None,
    response_class: type[PackageFile] = PackageFile,
) -> Response:
    """The file, or `304` when the client has it: the response cache leaves conditional
    requests for files to their route, as it never sees their bytes. A package kept gzipped
    too is sent that way to a client that accepts gzip (the gzip middleware lets a response
    that already has a Content-Encoding through); the ETag is the same for both codings,
    as for every cached response (docs/caching.md)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag_matches(if_none_match.encode(), package.etag.encode()):
        return Response(status_code=304, headers={"ETag": package.etag})
    headers = {"ETag": package.etag}
    path = package.path
    if package.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
        if request_accepts_gzip(request):
            path = package.gzipped
            headers["Content-Encoding"] = "gzip"
    return response_class(path, media_type=media_type, filename=filename, headers=headers)

"""`/v1/taxonomies` and `/v1/taxonomy_terms`: the vocabularies of service type and audience."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.deps import SessionDep
from api.errors import problem_responses
from api.ndjson_lists import Format, list_responses, ndjson_response
from api.paging import Page, Paging
from api.queries.listing import fetch_page, iter_rows
from api.queries.taxonomies import (
    FULL_TAXONOMY,
    get_taxonomy,
    get_taxonomy_term,
    taxonomies_query,
    taxonomy_terms_query,
)
from api.rendering import RECORD_WITH_ETAG, found, page_response, parse_id, record_response
from models.taxonomy import TaxonomyFull, TaxonomyPublic, TaxonomyTermPublic

router = APIRouter(tags=["Taxonomies"])


@router.get(
    "/taxonomies",
    operation_id="listTaxonomies",
    summary="List taxonomies",
    description="A page of taxonomies by name, then id; `format=ndjson` streams every "
    "taxonomy, with its sources, one per line.",
    response_model=Page[TaxonomyPublic],
    responses=list_responses("taxonomies"),
)
def list_taxonomies_route(
    session: SessionDep, paging: Paging, request: Request, format: Format = "json"
) -> Response:
    if format == "ndjson":
        return ndjson_response(
            request.app.state.engine,
            lambda s: iter_rows(s, taxonomies_query(), FULL_TAXONOMY),
            TaxonomyFull,
        )
    rows, total = fetch_page(session, taxonomies_query(), paging)
    return page_response(TaxonomyPublic, rows, total, paging)


@router.get(
    "/taxonomies/{id}",
    operation_id="getTaxonomy",
    summary="Get a taxonomy",
    response_model=TaxonomyFull,
    responses={**RECORD_WITH_ETAG, **problem_responses(404)},
)
def get_taxonomy_route(id: str, session: SessionDep) -> Response:
    taxonomy_id = parse_id(id)
    taxonomy = found(get_taxonomy(session, taxonomy_id), "taxonomy", taxonomy_id)
    return record_response(TaxonomyFull.model_validate(taxonomy))


@router.get(
    "/taxonomy_terms",
    operation_id="listTaxonomyTerms",
    summary="List taxonomy terms",
    description="A page of terms by name, then id; `format=ndjson` streams every match, "
    "one per line.",
    response_model=Page[TaxonomyTermPublic],
    responses=list_responses("taxonomy terms"),
)
def list_taxonomy_terms_route(
    session: SessionDep,
    paging: Paging,
    request: Request,
    taxonomy_id: Annotated[
        uuid.UUID | None, Query(description="Only the terms of this taxonomy.")
    ] = None,
    parent_id: Annotated[
        uuid.UUID | None, Query(description="Only the narrower terms of this term.")
    ] = None,
    format: Format = "json",
) -> Response:
    if format == "ndjson":
        return ndjson_response(
            request.app.state.engine,
            lambda s: iter_rows(s, taxonomy_terms_query(taxonomy_id, parent_id)),
            TaxonomyTermPublic,
        )
    rows, total = fetch_page(session, taxonomy_terms_query(taxonomy_id, parent_id), paging)
    return page_response(TaxonomyTermPublic, rows, total, paging)


@router.get(
    "/taxonomy_terms/{id}",
    operation_id="getTaxonomyTerm",
    summary="Get a taxonomy term",
    response_model=TaxonomyTermPublic,
    responses={**RECORD_WITH_ETAG, **problem_responses(404)},
)
def get_taxonomy_term_route(id: str, session: SessionDep) -> Response:
    term_id = parse_id(id)
    term = found(get_taxonomy_term(session, term_id), "taxonomy term", term_id)
    return record_response(TaxonomyTermPublic.model_validate(term))

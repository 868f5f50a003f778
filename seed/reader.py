"""Reading and checking the seed files; every problem names its file, record and field."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError
from sqlmodel import SQLModel

from seed.schema import (
    SeedGuidance,
    SeedOrganization,
    SeedReportingChannel,
    SeedSource,
    SeedTaxonomy,
)

DATA_DIR = Path(__file__).parent / "data"
M = TypeVar("M", bound=SQLModel)


class SeedError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class SeedBundle:
    sources: list[SeedSource] = field(default_factory=list)
    taxonomies: list[SeedTaxonomy] = field(default_factory=list)
    organizations: list[SeedOrganization] = field(default_factory=list)
    reporting_channels: list[SeedReportingChannel] = field(default_factory=list)
    guidance: list[SeedGuidance] = field(default_factory=list)


def _name(record: Any, index: int) -> str:
    if isinstance(record, dict):
        for key in ("slug", "key"):
            if isinstance(record.get(key), str):
                return f"{key} {record[key]!r}"
    return f"record #{index + 1}"


def _load_yaml(path: Path, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: not valid YAML: {exc}")
        return None


def _validate(model: type[M], path: Path, record: Any, index: int, problems: list[str]) -> M | None:
    try:
        return model.model_validate(record)
    except ValidationError as exc:
        where = _name(record, index)
        for error in exc.errors():
            loc = ".".join(str(p) for p in error["loc"]) or "(record)"
            problems.append(f"{path}: {where}: field {loc}: {error['msg']}")
        return None


def _read_list(model: type[M], path: Path, problems: list[str]) -> list[M]:
    data = _load_yaml(path, problems)
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(f"{path}: expected a list of records")
        return []
    out = [_validate(model, path, record, i, problems) for i, record in enumerate(data)]
    return [r for r in out if r is not None]


def read_seed(data_dir: Path = DATA_DIR) -> SeedBundle:
    """Read and validate every seed file; raise SeedError listing all problems found."""
    problems: list[str] = []
    bundle = SeedBundle(
        sources=_read_list(SeedSource, data_dir / "sources.yaml", problems),
        taxonomies=_read_list(SeedTaxonomy, data_dir / "taxonomies.yaml", problems),
        reporting_channels=_read_list(
            SeedReportingChannel, data_dir / "reporting_channels.yaml", problems
        ),
        guidance=_read_list(SeedGuidance, data_dir / "guidance.yaml", problems),
    )
    for path in sorted((data_dir / "organizations").glob("*.yaml")):
        record = _load_yaml(path, problems)
        if record is not None:
            org = _validate(SeedOrganization, path, record, 0, problems)
            if org is not None:
                bundle.organizations.append(org)
    problems += _cross_reference_problems(bundle, data_dir)
    if problems:
        raise SeedError(problems)
    return bundle


def _duplicates(kind: str, slugs: list[str]) -> list[str]:
    seen: set[str] = set()
    dupes = {s for s in slugs if s in seen or seen.add(s)}  # type: ignore[func-returns-value]
    return [f"{kind} slug {s!r} is used more than once" for s in sorted(dupes)]


def _cross_reference_problems(bundle: SeedBundle, data_dir: Path) -> list[str]:
    """References between files: sources, taxonomy terms, organisations and services."""
    problems: list[str] = []
    sources = {s.key for s in bundle.sources}
    terms = {f"{t.slug}/{term.slug}" for t in bundle.taxonomies for term in t.terms}
    services = {s.slug: o.slug for o in bundle.organizations for s in o.services}
    organizations = {o.slug for o in bundle.organizations}

    def cite(path: Path, where: str, citations: list[Any]) -> None:
        for i, c in enumerate(citations):
            if c.source not in sources:
                problems.append(
                    f"{path}: {where}: field sources.{i}.source: unknown source {c.source!r}"
                )

    def term_refs(path: Path, where: str, fieldname: str, refs: list[str]) -> None:
        for i, ref in enumerate(refs):
            if ref not in terms:
                problems.append(f"{path}: {where}: field {fieldname}.{i}: unknown term {ref!r}")

    tax_path = data_dir / "taxonomies.yaml"
    for t in bundle.taxonomies:
        cite(tax_path, f"slug {t.slug!r}", t.sources)
        local = {term.slug for term in t.terms}
        for i, term in enumerate(t.terms):
            if term.parent is not None and term.parent not in local:
                problems.append(
                    f"{tax_path}: slug {t.slug!r}: field terms.{i}.parent: "
                    f"unknown term {term.parent!r}"
                )
        problems += _duplicates(f"{tax_path}: {t.slug}: term", [term.slug for term in t.terms])
    for o in bundle.organizations:
        path = data_dir / "organizations" / f"{o.slug}.yaml"
        cite(path, f"slug {o.slug!r}", o.sources)
        term_refs(path, f"slug {o.slug!r}", "attributes", o.attributes)
        for s in o.services:
            cite(path, f"service {s.slug!r}", s.sources)
            term_refs(path, f"service {s.slug!r}", "taxonomy_terms", s.taxonomy_terms)
    channel_path = data_dir / "reporting_channels.yaml"
    for ch in bundle.reporting_channels:
        where = f"slug {ch.slug!r}"
        cite(channel_path, where, ch.sources)
        if ch.organization not in organizations:
            problems.append(
                f"{channel_path}: {where}: field organization: unknown organisation "
                f"{ch.organization!r}"
            )
        if ch.service is not None and services.get(ch.service) != ch.organization:
            problems.append(
                f"{channel_path}: {where}: field service: {ch.service!r} is not a service of "
                f"{ch.organization!r}"
            )
    for g in bundle.guidance:
        cite(data_dir / "guidance.yaml", f"slug {g.slug!r}", g.sources)
    problems += _duplicates("organisation", [o.slug for o in bundle.organizations])
    problems += _duplicates("service", [s.slug for o in bundle.organizations for s in o.services])
    problems += _duplicates("reporting channel", [c.slug for c in bundle.reporting_channels])
    problems += _duplicates("guidance", [g.slug for g in bundle.guidance])
    problems += _duplicates("source", [s.key for s in bundle.sources])
    return problems

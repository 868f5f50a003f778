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


def _load_yaml(path: Path, problems: list[str], unreadable: list[Path]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: not valid YAML: {exc}")
    except OSError as exc:
        problems.append(f"{path}: cannot be read: {exc.strerror or exc}")
    unreadable.append(path)
    return None


def _validate(model: type[M], path: Path, record: Any, index: int, problems: list[str]) -> M | None:
    try:
        return model.model_validate(record)
    except ValidationError as exc:
        where = _name(record, index)
        for error in exc.errors():
            loc = ".".join(str(p) for p in error["loc"]) or "(record)"
            inner = _nested_name(record, error["loc"])
            problems.append(f"{path}: {where}{inner}: field {loc}: {error['msg']}")
        return None


def _nested_name(record: Any, loc: tuple[Any, ...]) -> str:
    """A problem inside one of an organisation's services names that service too."""
    if len(loc) < 2 or loc[0] != "services" or not isinstance(record, dict):
        return ""
    services, index = record.get("services"), loc[1]
    if isinstance(services, list) and isinstance(index, int) and index < len(services):
        service = services[index]
        if isinstance(service, dict) and isinstance(service.get("slug"), str):
            return f": service {service['slug']!r}"
    return ""


def _read_list(model: type[M], path: Path, problems: list[str], unreadable: list[Path]) -> list[M]:
    data = _load_yaml(path, problems, unreadable)
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(f"{path}: expected a list of records")
        unreadable.append(path)
        return []
    out = [_validate(model, path, record, i, problems) for i, record in enumerate(data)]
    return [r for r in out if r is not None]


def read_seed(data_dir: Path = DATA_DIR) -> SeedBundle:
    """Read and validate every seed file; raise SeedError listing all problems found."""
    problems: list[str] = []
    unreadable: list[Path] = []
    bundle = SeedBundle(
        sources=_read_list(SeedSource, data_dir / "sources.yaml", problems, unreadable),
        taxonomies=_read_list(SeedTaxonomy, data_dir / "taxonomies.yaml", problems, unreadable),
        reporting_channels=_read_list(
            SeedReportingChannel, data_dir / "reporting_channels.yaml", problems, unreadable
        ),
        guidance=_read_list(SeedGuidance, data_dir / "guidance.yaml", problems, unreadable),
    )
    for path in sorted((data_dir / "organizations").glob("*.yaml")):
        record = _load_yaml(path, problems, unreadable)
        if record is not None:
            org = _validate(SeedOrganization, path, record, 0, problems)
            if org is not None:
                bundle.organizations.append(org)
    # A file that cannot be read at all would make every reference into it look broken;
    # report just the file until it parses.
    if not unreadable:
        problems += _cross_reference_problems(bundle, data_dir)
    if problems:
        raise SeedError(problems)
    return bundle


def _duplicates(kind: str, slugs: list[str]) -> list[str]:
    seen: set[str] = set()
    dupes = {s for s in slugs if s in seen or seen.add(s)}  # type: ignore[func-returns-value]
    return [f"{kind} slug {s!r} is used more than once" for s in sorted(dupes)]


def _in_parent_cycle(slug: str, parents: dict[str, str | None]) -> bool:
    seen: set[str] = set()
    parent = parents.get(slug)
    while parent is not None and parent in parents and parent not in seen:
        if parent == slug:
            return True
        seen.add(parent)
        parent = parents[parent]
    return False


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
        parents = {term.slug: term.parent for term in t.terms}
        for i, term in enumerate(t.terms):
            if term.parent is not None and term.parent not in local:
                problems.append(
                    f"{tax_path}: slug {t.slug!r}: field terms.{i}.parent: "
                    f"unknown term {term.parent!r}"
                )
            if _in_parent_cycle(term.slug, parents):
                problems.append(
                    f"{tax_path}: slug {t.slug!r}: field terms.{i}.parent: "
                    f"term {term.slug!r} is its own ancestor (the parents form a loop)"
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

"""A synthetic directory at scale: the seed, plus N made-up services that look like it.

`python -m benchmarks.synthetic --engine sqlite|postgresql --services 100000` migrates a
fresh database, loads the seed (its taxonomies and sources are what the synthetic records
link to and cite), then bulk-loads organisations (one per ten services) with services,
phones, areas, locations, schedules, languages, contacts, taxonomy links and citations —
every table a full service record shows. The data is deterministic (seeded random), so
figures from two runs are comparable. A database made by the same generator version with
the same size is kept and reused, so benchmarks can run again without waiting.
"""

import random
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from api import migrate
from api.dataset_version import lock_dataset
from api.db import make_engine
from api.search import rebuild_search_index
from models import Source, Taxonomy, TaxonomyTerm
from seed.loader import load_seed

# Bump when the data the generator makes changes, so old databases are rebuilt.
GENERATOR_VERSION = "2"
ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SERVICES_PER_ORGANIZATION = 10

Row = tuple[Any, ...]

# Words for names and text. Surnames are made from syllables so that each occurs in only a
# few organisations: a rare search word. Topics occur in about one service in fifty.
_SYLLABLES = [
    "ash",
    "bel",
    "cor",
    "dun",
    "elm",
    "fen",
    "gar",
    "hol",
    "ing",
    "kel",
    "lan",
    "mor",
    "nor",
    "ord",
    "pen",
    "quin",
    "ros",
    "sel",
    "tor",
    "vel",
    "wyn",
    "yar",
]
_PLACES = ["Aylesbury", "Bedford", "Bristol", "Cambridge", "Chelmsford", "Derby", "Exeter",
           "Gloucester", "Hull", "Ipswich", "Kendal", "Leeds", "Leicester", "Lincoln", "Luton",
           "Milton Keynes", "Newcastle", "Norwich", "Nottingham", "Oxford", "Plymouth",
           "Reading", "Sheffield", "Slough", "Southampton", "Swindon", "Truro", "Wycombe",
           "York", "Worcester"]  # fmt: skip
_COUNTIES = ["Buckinghamshire", "Bedfordshire", "Berkshire", "Cambridgeshire", "Cornwall",
             "Derbyshire", "Devon", "Essex", "Gloucestershire", "Hertfordshire", "Kent",
             "Lancashire", "Leicestershire", "Lincolnshire", "Norfolk", "Oxfordshire",
             "Somerset", "Suffolk", "Surrey", "Yorkshire"]  # fmt: skip
_ORG_KINDS = ["Trust", "Women's Aid", "Victim Support", "Community Safety Partnership",
              "Advocacy Service", "Council", "Foundation", "Project", "Network"]  # fmt: skip
_SERVICE_KINDS = [
    "stalking advocacy",
    "helpline",
    "drop-in advice",
    "safety planning",
    "court support",
    "counselling",
    "online safety clinic",
    "peer support group",
    "legal advice",
    "refuge referral",
    "personal alarm loan",
    "text support",
]
_TOPICS = ["cyberstalking", "harassment", "evidence", "injunction", "tracker", "doorstep",
           "workplace", "university", "rural", "housing", "immigration", "disability",
           "elderly", "teenagers", "lgbt", "carers", "veterans", "students", "neighbours",
           "social media", "spyware", "protection order", "restraining order", "diary",
           "risk assessment", "safeguarding", "refuge", "relocation", "benefits", "debt",
           "parenting", "pets", "vehicles", "gps", "cameras", "locks", "phones", "email",
           "accounts", "passwords", "banking", "travel", "commuting", "nightlife", "sport",
           "faith", "translation", "deaf", "autism", "mental health"]  # fmt: skip
_SENTENCES = [
    "Free and confidential support for anyone affected by stalking or harassment.",
    "Our advocates help you record evidence, plan for your safety and report to the police.",
    "We can talk through what is happening and what you can do next.",
    "You can refer yourself, or a professional can refer you with your consent.",
    "Support is available by phone, by email and in person at our offices.",
    "We work with the police, the courts and local services to keep you safe.",
    "If you are in immediate danger, call 999.",
    "We offer practical help with locks, alarms and securing your phone and accounts.",
    "Trained volunteers listen without judging and help you find the right service.",
]
_ELIGIBILITY = [
    "Anyone affected by stalking or harassment in the area.",
    "Adults at high risk of serious harm, referred by a professional.",
    "Young people aged 16 to 25 who are being stalked.",
    "Survivors of domestic abuse, sexual violence or stalking.",
    "Residents of the county and people who work or study there.",
]
_LANGUAGES = [
    ("English", "en"),
    ("Welsh", "cy"),
    ("Polish", "pl"),
    ("Urdu", "ur"),
    ("Punjabi", "pa"),
    ("Bengali", "bn"),
    ("Arabic", "ar"),
    ("Romanian", "ro"),
]
_DAYS = ["MO", "TU", "WE", "TH", "FR", "MO,TU,WE,TH,FR", "SA,SU"]
_AGES = [(None, None)] * 6 + [(16, 25), (18, None), (None, 17), (11, 18), (65, None), (18, 64)]


@dataclass
class Tables:
    """Rows per table, columns in the order of `COLUMNS`."""

    rows: dict[str, list[Row]] = field(default_factory=dict)

    def add(self, table: str, row: Row) -> None:
        self.rows.setdefault(table, []).append(row)


# The columns each bulk-loaded table is given (the others keep their defaults).
COLUMNS: dict[str, Sequence[str]] = {
    "organization": ("id", "name", "alternate_name", "description", "email", "website",
                     "uri", "last_modified", "version"),
    "location": ("id", "location_type", "organization_id", "name", "url"),
    "service": ("id", "organization_id", "name", "alternate_name", "description", "url",
                "email", "status", "application_process", "fees_description", "wait_time",
                "eligibility_description", "minimum_age", "maximum_age", "assured_date",
                "last_modified", "version"),
    "phone": ("id", "service_id", "organization_id", "contact_id", "number", "extension",
              "type", "description"),
    "contact": ("id", "service_id", "name", "title", "email"),
    "schedule": ("id", "service_id", "freq", "byday", "opens_at", "closes_at", "description"),
    "service_area": ("id", "service_id", "name", "extent_type", "description"),
    "language": ("id", "service_id", "name", "code"),
    "service_at_location": ("id", "service_id", "location_id", "description"),
    "attribute": ("id", "link_id", "link_type", "link_entity", "taxonomy_term_id", "value"),
    "citation": ("id", "source_id", "section", "note", "organization_id", "service_id"),
}  # fmt: skip


class Generator:
    def __init__(self, seed: int, terms: dict[str, list[uuid.UUID]], sources: list[uuid.UUID]):
        self.rng = random.Random(seed)
        self.terms = terms
        self.sources = sources
        self.surnames = self._surnames(4000)
        self.epoch = datetime(2024, 1, 1)

    def _surnames(self, count: int) -> list[str]:
        made: dict[str, None] = {}
        while len(made) < count:
            parts = self.rng.choices(_SYLLABLES, k=self.rng.choice((2, 3)))
            made["".join(parts).capitalize()] = None
        return list(made)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def moment(self) -> datetime:
        return self.epoch + timedelta(seconds=self.rng.randrange(2 * 365 * 86400))

    def phone_number(self) -> str:
        # Ofcom's ranges for drama: valid UK numbers that reach nobody.
        n = self.rng.randrange(1000)
        return self.rng.choice(
            (f"020 7946 {n:04d}", f"0113 496 {n:04d}", f"0161 496 {n:04d}", f"0117 496 {n:04d}")
        )

    def text(self, topic: str, sentences: int) -> str:
        chosen = self.rng.sample(_SENTENCES, sentences)
        return f"Help with {topic}. " + " ".join(chosen)

    def organizations(self, services: int) -> Iterator[Tables]:
        """Tables a few hundred organisations at a time, so memory stays small."""
        made = 0
        number = 0
        while made < services:
            batch = Tables()
            for _ in range(500):
                if made >= services:
                    break
                count = min(services - made, self.rng.randint(1, 2 * SERVICES_PER_ORGANIZATION - 1))
                self._organization(batch, number, count)
                made += count
                number += 1
            yield batch

    def _organization(self, t: Tables, number: int, services: int) -> None:
        rng = self.rng
        org_id = self.new_id()
        surname = rng.choice(self.surnames)
        place = rng.choice(_PLACES)
        name = f"{surname} {place} {rng.choice(_ORG_KINDS)}"
        slug = f"{surname.lower()}-{place.lower().replace(' ', '-')}-{number}"
        t.add(
            "organization",
            (org_id, name, surname if rng.random() < 0.3 else None,
             f"{name} supports people in {place} affected by stalking and harassment.",
             f"info@{slug}.example.org", f"https://{slug}.example.org",
             None, self.moment(), 1),
        )  # fmt: skip
        t.add(
            "phone", (self.new_id(), None, org_id, None, self.phone_number(), None, "voice", None)
        )
        self._citations(t, org_id=org_id)
        t.add(
            "attribute",
            (self.new_id(), org_id, "audience", "organization",
             rng.choice(self.terms["audience"]), None),
        )  # fmt: skip
        locations = [
            (self.new_id(), "virtual", org_id, "By phone", None),
            (self.new_id(), "virtual", org_id, "Online", f"https://{slug}.example.org/chat"),
            (self.new_id(), "physical", org_id, "In person", None),
        ]
        for location in locations:
            t.add("location", location)
        for _ in range(services):
            self._service(t, org_id, place, [loc[0] for loc in locations])

    def _service(
        self, t: Tables, org_id: uuid.UUID, place: str, locations: list[uuid.UUID]
    ) -> None:
        rng = self.rng
        service_id = self.new_id()
        kind = rng.choice(_SERVICE_KINDS)
        topic = rng.choice(_TOPICS)
        minimum_age, maximum_age = rng.choice(_AGES)
        name = f"{place} {kind}" + (f" ({topic})" if rng.random() < 0.5 else "")
        t.add(
            "service",
            (service_id, org_id, name, None,
             self.text(topic, rng.randint(1, 3)),
             f"https://example.org/{service_id.hex[:12]}" if rng.random() < 0.7 else None,
             f"help-{service_id.hex[:8]}@example.org" if rng.random() < 0.4 else None,
             "active" if rng.random() < 0.95 else "temporarily closed",
             "Call us or fill in the form on our website." if rng.random() < 0.5 else None,
             "Free." if rng.random() < 0.6 else None,
             rng.choice((None, "Usually within a week.", "Same day.")),
             rng.choice(_ELIGIBILITY) if rng.random() < 0.8 else None,
             minimum_age, maximum_age,
             date(2025, 1, 1) + timedelta(days=rng.randrange(600)) if rng.random() < 0.5
             else None,
             self.moment(), 1),
        )  # fmt: skip
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            t.add(
                "phone",
                (self.new_id(), service_id, None, None, self.phone_number(), None,
                 rng.choice(("voice", "voice", "text", "textphone")),
                 rng.choice((None, "Support line.", "Out of hours."))),
            )  # fmt: skip
        for county in rng.sample(_COUNTIES, rng.choice((1, 1, 2))):
            t.add("service_area", (self.new_id(), service_id, county, "county", None))
        for location in rng.sample(locations, rng.choice((1, 1, 2))):
            t.add("service_at_location", (self.new_id(), service_id, location, None))
        for _ in range(rng.choice((0, 1, 1, 2))):
            t.add(
                "schedule",
                (self.new_id(), service_id, "WEEKLY", rng.choice(_DAYS),
                 rng.choice(("09:00", "10:00")), rng.choice(("17:00", "20:00")), None),
            )  # fmt: skip
        for lang_name, code in rng.sample(_LANGUAGES, rng.choice((0, 1, 1, 2))):
            t.add("language", (self.new_id(), service_id, lang_name, code))
        if rng.random() < 0.3:
            contact_id = self.new_id()
            t.add(
                "contact",
                (contact_id, service_id, rng.choice(self.surnames), "Stalking advocate",
                 f"advocate-{contact_id.hex[:8]}@example.org"),
            )  # fmt: skip
            t.add(
                "phone",
                (self.new_id(), None, None, contact_id, self.phone_number(), None, "voice", None),
            )
        links = [("service_type", rng.choice(self.terms["service-type"]))]
        links += [
            ("audience", term) for term in rng.sample(self.terms["audience"], rng.randint(0, 2))
        ]
        for link_type, term in links:
            t.add("attribute", (self.new_id(), service_id, link_type, "service", term, None))
        self._citations(t, service_id=service_id)

    def _citations(
        self, t: Tables, org_id: uuid.UUID | None = None, service_id: uuid.UUID | None = None
    ) -> None:
        for source in self.rng.sample(self.sources, self.rng.randint(1, 3)):
            note = self.rng.choice((None, "Phone number.", "Who it is for."))
            t.add("citation", (self.new_id(), source, None, note, org_id, service_id))


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy would store on SQLite: UUIDs as 32 hex digits, times as text."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _insert_sqlite(connection: sqlite3.Connection, tables: Tables) -> None:
    for table, rows in tables.rows.items():
        columns = COLUMNS[table]
        sql = (
            f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
        )
        connection.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))


def _copy_postgresql(connection: Any, tables: Tables) -> None:
    with connection.cursor() as cursor:
        for table, rows in tables.rows.items():
            columns = ", ".join(COLUMNS[table])
            with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)


# Parents before children, for the foreign keys.
_TABLE_ORDER = [
    "organization",
    "location",
    "service",
    "contact",
    "phone",
    "schedule",
    "service_area",
    "language",
    "service_at_location",
    "attribute",
    "citation",
]


def _ordered(tables: Tables) -> Tables:
    return Tables({name: tables.rows[name] for name in _TABLE_ORDER if name in tables.rows})


def database_url(engine_name: str, services: int) -> str:
    if engine_name == "sqlite":
        return f"sqlite:///{ROOT / 'var' / f'scale_{services}.db'}"
    name = "helpdir_scale" if services == 100_000 else f"helpdir_scale_{services}"
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _marker(services: int, seed: int) -> str:
    return f"helpdir-synthetic v{GENERATOR_VERSION} services={services} seed={seed}"


def _existing_marker(url: str) -> str | None:
    """The marker of a finished database at `url`, or None if it is missing or unfinished."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "-").exists():
        return None
    engine = create_engine(url, connect_args={"connect_timeout": 3} if "postgresql" in url else {})
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT marker FROM synthetic_marker")).scalar()
    except Exception:
        return None
    finally:
        engine.dispose()


def _fresh(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _vocabulary(session: Session) -> tuple[dict[str, list[uuid.UUID]], list[uuid.UUID]]:
    terms: dict[str, list[uuid.UUID]] = {}
    rows = session.exec(
        select(Taxonomy.name, TaxonomyTerm.id)
        .join(TaxonomyTerm, TaxonomyTerm.taxonomy_id == Taxonomy.id)  # type: ignore[arg-type]
        .order_by(Taxonomy.name, TaxonomyTerm.id)
    )
    for taxonomy_name, term_id in rows:
        key = "audience" if taxonomy_name == "Audience" else "service-type"
        terms.setdefault(key, []).append(term_id)
    sources = list(session.exec(select(Source.id).order_by(Source.id)))
    return terms, sources


def _bulk_load(engine: Engine, batches: Iterable[Tables]) -> int:
    """Every batch in one transaction, by the engine's fastest path."""
    loaded = 0
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if engine.dialect.name == "sqlite":
            driver.execute("PRAGMA synchronous=OFF")
            driver.execute("PRAGMA foreign_keys=OFF")
            driver.execute("PRAGMA cache_size=-200000")
            driver.execute("BEGIN")
            for batch in batches:
                _insert_sqlite(driver, _ordered(batch))
                loaded += len(batch.rows.get("service", []))
            driver.execute("COMMIT")
            driver.execute("PRAGMA foreign_keys=ON")
        else:
            for batch in batches:
                _copy_postgresql(driver, _ordered(batch))
                loaded += len(batch.rows.get("service", []))
            driver.commit()
    finally:
        raw.close()
    return loaded


def build(engine_name: str, services: int, seed: int = 4, force: bool = False) -> str:
    """The URL of a synthetic database of this size, made now unless one is ready."""
    url = database_url(engine_name, services)
    marker = _marker(services, seed)
    if not force and _existing_marker(url) == marker:
        typer.echo(f"reusing {url} ({marker})", err=True)
        _upgrade_kept(url)
        return url
    started = time.monotonic()

    def step(what: str) -> None:
        typer.echo(f"{time.monotonic() - started:6.1f} s  {what}", err=True)

    _fresh(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            load_seed(session)
            terms, sources = _vocabulary(session)
        step("migrated and seeded")
        generator = Generator(seed, terms, sources)
        loaded = _bulk_load(engine, generator.organizations(services))
        step(f"loaded {loaded:,} services")
        with Session(engine) as session:
            lock_dataset(session)
            rebuild_search_index(session)
            session.commit()
        step("search index rebuilt")
        _analyze(engine)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE synthetic_marker (marker VARCHAR(200))"))
            connection.execute(text("INSERT INTO synthetic_marker VALUES (:m)"), {"m": marker})
        step("analysed; done")
    finally:
        engine.dispose()
    return url


def _upgrade_kept(url: str) -> None:
    """Newer migrations (indexes) apply to a kept database too, with fresh statistics."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if current != migrate.head_revision():
            migrate.upgrade(url)
            _analyze(engine)
    finally:
        engine.dispose()


def _analyze(engine: Engine) -> None:
    """Fresh statistics, so the planner sees 100k rows, not an empty table."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def main(
    engine: Annotated[str, typer.Option(help="sqlite or postgresql")] = "sqlite",
    services: Annotated[int, typer.Option(help="Synthetic services to add to the seed.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed of the data.")] = 4,
    force: Annotated[bool, typer.Option(help="Rebuild even if a ready database exists.")] = False,
) -> None:
    if engine not in ("sqlite", "postgresql"):
        raise typer.BadParameter("engine must be sqlite or postgresql")
    typer.echo(build(engine, services, seed, force))


if __name__ == "__main__":
    typer.run(main)

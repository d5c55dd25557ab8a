"""The CRM indicators: figures checked against counts computed here from the records the
test writes, suppression of small cells and its complement, scope, periods, downloads
and a constant number of queries."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import login
from tests.factories import (
    complete_module_at,
    complete_program_at,
    create_module_version,
    create_post_for,
    create_user,
    issue_certificate_at,
)
from training.catalog.models import Module, Program
from training.extensions import db

INDICATORS = (
    "people_trained",
    "modules_completed",
    "programs_completed",
    "certificates_issued",
    "certificates_valid",
)
SEXES = ("female", "male", "another", "prefer_not_to_say", "not_stated")

# Instants in the two quarters of 2026 the tests use, and their edges.
Q3 = datetime(2026, 8, 14, 12, 0, tzinfo=UTC)
Q3_START = datetime(2026, 7, 1, tzinfo=UTC)
Q3_LAST = datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC)
Q4_START = datetime(2026, 10, 1, tzinfo=UTC)
Q4 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
Q4_LAST = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
NEXT_YEAR = datetime(2027, 1, 1, tzinfo=UTC)
PERIODS = {
    "2026-Q3": (Q3_START, Q4_START),
    "2026-Q4": (Q4_START, NEXT_YEAR),
    "2026": (datetime(2026, 1, 1, tzinfo=UTC), NEXT_YEAR),
}


@pytest.fixture
def get(app: Any, api_token: Any) -> Any:
    """``get(user, path)``: a GET as ``user``: with a bearer token under ``/api/``, with a
    signed-in browser session for pages."""
    tokens: dict[int, dict[str, str]] = {}
    sessions: dict[int, Any] = {}

    def fetch(user: Any, path: str) -> Any:
        if not path.startswith("/api/"):
            if user.id not in sessions:
                sessions[user.id] = app.test_client()
                login(sessions[user.id], user)
            return sessions[user.id].get(path)
        if user.id not in tokens:
            tokens[user.id] = api_token(user)
        return app.test_client().get(path, headers=tokens[user.id])

    return fetch


def set_sex(user: Any, sex: str | None) -> None:
    user.sex = sex
    db.session.commit()


# --- The people and what they did, kept here to count independently ----------------------


@dataclass
class Person:
    user: Any
    ministry: str
    country: str  # "none": no post
    sex: str  # "not_stated": no answer
    modules: list[tuple[str, datetime]] = field(default_factory=list)
    program: datetime | None = None
    certificates: list[tuple[datetime, datetime | None]] = field(default_factory=list)


def counted(people: list[Person], start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    """Indicator -> (value, distinct people), by the definitions, without SQL."""

    def inside(when: datetime | None) -> bool:
        return when is not None and start <= when < end

    trained = [p for p in people if any(inside(when) for _slug, when in p.modules)]
    pairs = {(p.user.id, slug) for p in people for slug, when in p.modules if inside(when)}
    programs = [p for p in people if inside(p.program)]
    issued = [(p, c) for p in people for c in p.certificates if inside(c[0])]
    valid = [
        (p, c)
        for p in people
        for c in p.certificates
        if c[0] < end and (c[1] is None or c[1] >= end)
    ]
    return {
        "people_trained": (len(trained), len(trained)),
        "modules_completed": (len(pairs), len({user for user, _slug in pairs})),
        "programs_completed": (len(programs), len(programs)),
        "certificates_issued": (len(issued), len({p.user.id for p, _c in issued})),
        "certificates_valid": (len(valid), len({p.user.id for p, _c in valid})),
    }


def groups(people: list[Person], key: str) -> dict[str, list[Person]]:
    found: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        found[getattr(person, key)].append(person)
    return found


def check_column_rules(rows: list[dict[str, Any]], total: dict[str, Any]) -> None:
    """No column of a breakdown leaves exactly one figure suppressed beside a shown total
    (which, less the others, would give it back)."""
    for name in INDICATORS:
        hidden = [row["key"] for row in rows if row[name] is None]
        assert len(hidden) != 1 or total[name] is None, (name, hidden)


def check_report(
    body: dict[str, Any], people: list[Person], period: str, tally: dict[str, int]
) -> None:
    """Every figure of the report against the count made here: a figure with 1 to 4
    people is suppressed, any other shown figure is exact, and a figure suppressed with
    5 people or more (or none) is the one complement of its column."""
    start, end = PERIODS[period]
    assert body["total"]["key"] == "total"

    def check_row(row: dict[str, Any], members: list[Person], column_primaries: dict) -> None:
        expected = counted(members, start, end)
        for name in INDICATORS:
            value, persons = expected[name]
            if 0 < persons < 5:
                assert row[name] is None, (period, row["key"], name, expected[name])
                assert name in row["suppressed"]
                tally["primary"] += 1
            elif row[name] is None:
                assert name in row["suppressed"]
                column_primaries[name].append(("secondary", row["key"], persons))
                tally["secondary"] += 1
            else:
                assert row[name] == value, (period, row["key"], name, row[name], value)
                tally["shown"] += bool(value)

    check_row(body["total"], people, defaultdict(list))
    breakdowns = [("by_country", "country"), ("by_sex", "sex")]
    if body["scope"]["ministry"] is None:
        breakdowns.append(("by_ministry", "ministry"))
    else:
        assert body["by_ministry"] == []
    for name, attribute in breakdowns:
        members = groups(people, attribute)
        rows = body[name]
        keys = [row["key"] for row in rows]
        if attribute == "sex":
            assert keys == list(SEXES)
        elif attribute == "ministry":
            assert len(keys) == 11 and set(members) <= set(keys)
        else:
            active = {
                country
                for country, group in members.items()
                if any(v for v, _p in counted(group, start, end).values())
            }
            assert set(keys) == active
        secondaries: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            check_row(row, members.get(row["key"], []), secondaries)
        check_column_rules(rows, body["total"])
        for indicator, hidden in secondaries.items():
            # A complement only where its column had exactly one suppressed figure.
            assert len(hidden) == 1, (indicator, hidden)
            primaries = [row for row in rows if row[indicator] is None]
            assert len(primaries) == 2


@pytest.fixture
def region(app: Any, ministries: Any, synced_content: Any) -> list[Person]:
    """64 people of Guatemala and Mexico at posts in four countries (or none), of every
    answer on sex, with modules, programs and certificates in the third and fourth
    quarters of 2026, at the quarters' very edges too; written with the factories."""
    rng = random.Random(14)
    program_id = db.session.scalars(db.select(Program.id)).one()
    modules = {module.slug: module.id for module in db.session.scalars(db.select(Module))}
    alfa_v2 = create_module_version(modules["alfa"])
    db.session.commit()
    posts = {
        "GT": [
            (create_post_for("GT", country="MX"), "MX"),
            (create_post_for("GT", country="US"), "US"),
            (None, "none"),
        ],
        "MX": [
            (create_post_for("MX", country="US"), "US"),
            (create_post_for("MX", country="CR"), "CR"),
        ],
    }
    moments = [Q3_START, Q3, Q3_LAST, Q4_START, Q4, Q4_LAST, None, None]
    people = []
    for n in range(64):
        ministry = "GT" if n % 3 else "MX"
        post, country = rng.choice(posts[ministry])
        sex = rng.choice(["female", "female", "male", "male", "another", None, "prefer_not_to_say"])
        user = create_user(ministry=ministry, post=post, password=None)
        set_sex(user, sex)
        person = Person(user, ministry, country, sex or "not_stated")
        for slug in ("alfa", "beta"):
            when = rng.choice(moments)
            if when is not None:
                complete_module_at(user, modules[slug], when)
                person.modules.append((slug, when))
        if n % 11 == 0 and person.modules:
            # A second version of alfa completed too: still one module for the person.
            when = rng.choice([Q3, Q4])
            complete_module_at(user, modules["alfa"], when, version=alfa_v2)
            person.modules.append(("alfa", when))
        if len({slug for slug, _when in person.modules}) == 2 and rng.random() < 0.8:
            finished = max(when for _slug, when in person.modules)
            complete_program_at(user, program_id, finished)
            person.program = finished
            if rng.random() < 0.3:
                # Revoked, then issued again (in Q4 if revoked in Q3, and so on).
                revoked = rng.choice([finished + timedelta(hours=1), Q4_LAST + timedelta(days=3)])
                issue_certificate_at(user, program_id, finished, revoked_at=revoked)
                person.certificates.append((finished, revoked))
                again = revoked + timedelta(hours=1)
                issue_certificate_at(user, program_id, again)
                person.certificates.append((again, None))
            else:
                issue_certificate_at(user, program_id, finished)
                person.certificates.append((finished, None))
        people.append(person)
    return people


def test_the_figures_are_the_counts_of_the_records(
    region: list[Person], get: Any, make_user: Any
) -> None:
    regional = make_user(roles=["regional"], ministry="CR")
    coordinators = {code: make_user(roles=["coordinator"], ministry=code) for code in ("GT", "MX")}
    tally: dict[str, int] = defaultdict(int)
    for period in PERIODS:
        body = get(regional, f"/api/v1/reports/indicators?period={period}").get_json()
        assert body["period"]["label"] == period and body["scope"]["ministry"] is None
        check_report(body, region, period, tally)
        for code, coordinator in coordinators.items():
            own = [person for person in region if person.ministry == code]
            mine = get(coordinator, f"/api/v1/reports/indicators?period={period}").get_json()
            assert mine["scope"]["ministry"] == code
            check_report(mine, own, period, tally)
            # The regional user sees the same when naming the ministry.
            theirs = get(regional, f"/api/v1/reports/indicators?period={period}&ministry={code}")
            assert theirs.get_json() == mine
    # The data exercised every branch: exact figures, small cells and complements.
    assert tally["shown"] > 50 and tally["primary"] > 10, dict(tally)


def test_small_cells_and_their_complement(app: Any, ministries: Any, get: Any) -> None:
    """Six women and seven men in Tapachula (Mexico), two people of another sex in the
    United States: the two, suppressed, would be the total minus the others, so the
    smallest other figure of each column is suppressed with them."""
    tapachula = create_post_for("GT", country="MX")
    washington = create_post_for("GT", country="US")
    coordinator = create_user(roles=["coordinator"], ministry="GT")
    module_id = _a_module()
    for sex, count, post in (
        ("female", 6, tapachula),
        ("male", 7, tapachula),
        ("another", 2, washington),
    ):
        for _n in range(count):
            person = create_user(ministry="GT", post=post, password=None)
            set_sex(person, sex)
            complete_module_at(person, module_id, Q4)
    # Three people of Mexico: every figure of theirs is small, the total included.
    for _n in range(3):
        complete_module_at(create_user(ministry="MX", password=None), module_id, Q4)

    body = get(coordinator, "/api/v1/reports/indicators?period=2026-Q4").get_json()
    assert body["threshold"] == 5
    assert body["total"]["people_trained"] == 15 and body["total"]["suppressed"] == []
    by_sex = {row["key"]: row for row in body["by_sex"]}
    assert [by_sex[key]["people_trained"] for key in SEXES] == [None, 7, None, 0, 0]
    assert by_sex["another"]["suppressed"] == ["people_trained", "modules_completed"]
    assert by_sex["female"]["suppressed"] == ["people_trained", "modules_completed"]
    by_country = {row["key"]: row for row in body["by_country"]}
    assert set(by_country) == {"MX", "US"}
    # The United States' 2 are small; Mexico's 13 would give them back from the total.
    assert by_country["US"]["people_trained"] is None
    assert by_country["MX"]["people_trained"] is None
    assert by_country["MX"]["label"] == "México"

    regional = create_user(roles=["regional"], ministry="CR")
    region = get(regional, "/api/v1/reports/indicators?period=2026-Q4").get_json()
    by_ministry = {row["key"]: row for row in region["by_ministry"]}
    assert by_ministry["MX"]["people_trained"] is None  # 3 people
    # GT's 15 alone would give Mexico's 3 back from the region's 18.
    assert by_ministry["GT"]["people_trained"] is None
    assert region["total"]["people_trained"] == 18
    mexico = get(regional, "/api/v1/reports/indicators?period=2026-Q4&ministry=MX").get_json()
    assert mexico["total"]["people_trained"] is None
    assert all(row["people_trained"] is None for row in mexico["by_country"])
    assert mexico["by_sex"][-1]["people_trained"] is None


def _a_module() -> int:
    from tests.catalog.conftest import VALID
    from training.catalog import services as catalog

    catalog.sync(VALID, item_checks="skip")
    db.session.commit()
    return db.session.scalars(db.select(Module.id).where(Module.slug == "alfa")).one()


def test_downloads_mark_suppressed_figures(app: Any, ministries: Any, get: Any) -> None:
    coordinator = create_user(roles=["coordinator"], ministry="GT")
    module_id = _a_module()
    post = create_post_for("GT", country="SV")
    for _n in range(6):
        complete_module_at(create_user(ministry="GT", post=post, password=None), module_id, Q3)
    loner = create_user(ministry="GT", password=None)
    complete_module_at(loner, module_id, Q3)

    response = get(coordinator, "/api/v1/reports/indicators?period=2026-Q3&format=csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert 'filename="indicators-GT-2026-Q3.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:5] == ["Periodo", "Ámbito", "Desglose", "Código", "Grupo"]
    assert rows[0][5:] == [
        "Personas formadas",
        "Módulos completados",
        "Programas completados",
        "Certificados emitidos",
        "Certificados válidos",
    ]
    lines = {(row[2], row[3]): row for row in rows[1:]}
    assert lines[("Total", "total")][5:] == ["7", "7", "0", "0", "0"]
    # El Salvador's 6 would give the one without a post back: both hidden.
    assert lines[("Por país del puesto", "SV")][5:7] == ["x", "x"]
    assert lines[("Por país del puesto", "none")][5:7] == ["x", "x"]
    assert lines[("Por sexo", "not_stated")][5:] == ["7", "7", "0", "0", "0"]

    workbook = get(coordinator, "/api/v1/reports/indicators?period=2026-Q3&format=xlsx")
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.get_data()), read_only=True).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1][5:] == [7, 7, 0, 0, 0]
    assert ["x", "x"] in [row[5:7] for row in values if row[3] == "SV"]


# --- Scope ------------------------------------------------------------------------------


def test_coordinators_see_their_own_ministry_only(app: Any, ministries: Any, get: Any) -> None:
    coordinator = create_user(roles=["coordinator"], ministry="GT")
    own = get(coordinator, "/api/v1/reports/indicators?period=2026")
    assert own.status_code == 200 and own.get_json()["scope"]["ministry"] == "GT"
    assert get(coordinator, "/api/v1/reports/indicators?ministry=gt").status_code == 200
    for path in (
        "/api/v1/reports/indicators?ministry=MX",
        "/api/v1/reports/indicators?ministry=MX&format=csv",
        "/api/v1/reports/indicators?ministry=ZZ",
        "/reports/indicators?ministry=MX",
    ):
        response = get(coordinator, path)
        assert response.status_code == 404, path
    assert get(coordinator, "/api/v1/reports/indicators?ministry=MX").get_json()["code"] == (
        "not_found"
    )


@pytest.mark.parametrize("role", ["regional", "admin"])
def test_regional_users_see_the_region_and_every_ministry(
    app: Any, ministries: Any, get: Any, role: str
) -> None:
    user = create_user(roles=[role], ministry="CR")
    region = get(user, "/api/v1/reports/indicators?period=2026-Q4").get_json()
    assert region["scope"]["ministry"] is None and len(region["by_ministry"]) == 11
    for code in ("GT", "MX", "CR"):
        body = get(user, f"/api/v1/reports/indicators?period=2026-Q4&ministry={code}").get_json()
        assert body["scope"]["ministry"] == code and body["by_ministry"] == []
    assert get(user, "/api/v1/reports/indicators?ministry=ZZ").status_code == 404


@pytest.mark.parametrize("roles", [["learner"], ["issuer"]])
def test_learners_and_issuers_are_refused(app: Any, ministries: Any, get: Any, roles: Any) -> None:
    user = create_user(roles=roles, ministry="GT")
    for path in ("/api/v1/reports/indicators", "/reports/indicators"):
        assert get(user, path).status_code == 403
    assert app.test_client().get("/api/v1/reports/indicators").status_code == 401


# --- Periods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "period",
    [
        "2026-Q5",
        "2026-Q0",
        "2026Q4",
        "2026-q",
        "26",
        "abcd",
        "1999",
        "2026-Q4x",
        "-2026",
        "2026 Q4",
    ],
)
def test_a_bad_period_is_a_clear_422(app: Any, ministries: Any, get: Any, period: str) -> None:
    coordinator = create_user(roles=["coordinator"], ministry="GT")
    response = get(coordinator, f"/api/v1/reports/indicators?period={period}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_failed"
    assert "2026-Q4" in body["details"]["fields"]["period"][0]
    page = get(coordinator, f"/reports/indicators?period={period}")
    assert page.status_code == 422 and "text/html" in page.content_type


def test_periods_are_utc_quarters_and_years(app: Any, ministries: Any, get: Any) -> None:
    coordinator = create_user(roles=["coordinator"], ministry="GT")
    for period, first, last in (
        ("2026-Q4", "2026-10-01", "2026-12-31"),
        ("2026-q1", "2026-01-01", "2026-03-31"),
        ("2026-Q2", "2026-04-01", "2026-06-30"),
        ("2026", "2026-01-01", "2026-12-31"),
    ):
        body = get(coordinator, f"/api/v1/reports/indicators?period={period}").get_json()
        assert (body["period"]["first_day"], body["period"]["last_day"]) == (first, last)
    today = datetime.now(UTC).date()
    current = get(coordinator, "/api/v1/reports/indicators").get_json()["period"]["label"]
    assert current == f"{today.year}-Q{(today.month - 1) // 3 + 1}"


# --- The page ---------------------------------------------------------------------------


def test_the_page_shows_scope_period_tables_and_definitions(
    app: Any, ministries: Any, client: Any
) -> None:
    coordinator = create_user(roles=["coordinator", "learner"], ministry="GT")
    module_id = _a_module()
    post = create_post_for("GT", country="MX")
    for n in range(6):
        person = create_user(ministry="GT", post=post, password=None)
        set_sex(person, "female" if n else "male")
        complete_module_at(person, module_id, Q4)
    login(client, coordinator)
    html = client.get("/reports/indicators?period=2026-Q4").get_data(as_text=True)
    assert "Indicadores CRM" in html and "4.º trimestre de 2026" in html
    assert "Ministerio de Relaciones Exteriores de Guatemala" in html or "Guatemala" in html
    for caption in ("Totales:", "Por país del puesto:", "Por sexo:"):
        assert f"<caption>{caption}" in html
    assert "Por ministerio" not in html  # the region's breakdown: not a coordinator's
    assert 'id="ministry"' not in html
    assert "dato suprimido" in html  # one man, and the women hidden with him
    assert "Personas distintas que completaron al menos un módulo en el periodo." in html
    assert '<option value="2026-Q4" selected>' in html
    # English, French.
    english = client.get("/reports/indicators?period=2026-Q4&lang=en").get_data(as_text=True)
    assert "People trained" in english and "By post country" in english
    french = client.get("/reports/indicators?period=2026&lang=fr").get_data(as_text=True)
    assert "Personnes formées" in french


def test_the_regional_page_offers_every_ministry(app: Any, ministries: Any, client: Any) -> None:
    regional = create_user(roles=["regional"], ministry="CR")
    login(client, regional)
    html = client.get("/reports/indicators?period=2026").get_data(as_text=True)
    assert "<caption>Por ministerio:" in html and 'id="ministry"' in html
    assert "Toda la región" in html
    html = client.get("/reports/indicators?period=2026&ministry=HN").get_data(as_text=True)
    assert '<option value="HN" selected>' in html
    assert "/api/v1/reports/indicators?period=2026&amp;ministry=HN&amp;format=csv" in html or (
        "format=csv" in html and "ministry=HN" in html
    )


# --- Queries ----------------------------------------------------------------------------


def test_a_constant_number_of_queries(app: Any, ministries: Any, count_queries: Any) -> None:
    module_id = _a_module()
    program_id = db.session.scalars(db.select(Program.id)).one()
    coordinator = create_user(roles=["coordinator"], ministry="GT")
    regional = create_user(roles=["regional"], ministry="CR")
    coordination = app.test_client()
    login(coordination, coordinator)
    secretariat = app.test_client()
    login(secretariat, regional)
    paths = [
        "/api/v1/reports/indicators?period=2026-Q4",
        "/api/v1/reports/indicators?period=2026&format=csv",
        "/api/v1/reports/indicators?period=2026&format=xlsx",
        "/reports/indicators?period=2026-Q4",
    ]

    def add(count: int, country: str) -> None:
        post = create_post_for("GT", country=country)
        for n in range(count):
            person = create_user(ministry="GT", post=post, password=None)
            set_sex(person, SEXES[n % 4])
            complete_module_at(person, module_id, Q4)
            complete_program_at(person, program_id, Q4)
            issue_certificate_at(person, program_id, Q4)

    def measure() -> list[int]:
        return [count_queries(coordination, path) for path in paths] + [
            count_queries(secretariat, path) for path in (*paths, paths[0] + "&ministry=GT")
        ]

    add(3, "MX")
    small = measure()
    add(30, "US")
    add(12, "CR")
    large = measure()
    print("queries:", small)
    assert small == large
    # Sign-in and roles, the ministries, the figures (and the named ministry).
    assert max(small) <= 6, small

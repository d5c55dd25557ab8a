"""Ministries (the tenants) and their posts."""

from __future__ import annotations

import pytest

from tests.factories import create_post_for
from tests.helpers import fresh
from training.errors import Forbidden, NotFound, ValidationFailed
from training.extensions import db
from training.ministries import services
from training.ministries.models import Ministry, Post

CRM_CODES = {"BZ", "CA", "CR", "SV", "GT", "HN", "MX", "NI", "PA", "DO", "US"}


def test_seed_creates_the_eleven_crm_ministries(app):
    assert services.seed_ministries() == (11, 0)
    db.session.commit()

    ministries = {m.code: m for m in db.session.scalars(db.select(Ministry))}
    assert set(ministries) == CRM_CODES
    canada = ministries["CA"]
    assert (canada.name_en, canada.name_fr) == (
        "Global Affairs Canada",
        "Affaires mondiales Canada",
    )
    assert all(m.name_es and m.name_en and m.name_fr for m in ministries.values())


def test_seed_is_idempotent_and_repairs_names(ministries):
    assert services.seed_ministries() == (0, 0)

    ministries["GT"].name_en = "Renamed by hand"
    db.session.commit()

    assert services.seed_ministries() == (0, 1)
    db.session.commit()
    fresh()
    assert services.get_ministry("GT").name_en == "Ministry of Foreign Affairs of Guatemala"
    assert db.session.scalar(db.select(db.func.count()).select_from(Ministry)) == 11


@pytest.mark.parametrize(
    ("language", "name", "country"),
    [
        ("es", "Ministerio de Relaciones Exteriores de Guatemala", "Guatemala"),
        ("en", "Ministry of Foreign Affairs of Guatemala", "Guatemala"),
        ("fr", "Ministère des Affaires étrangères du Guatemala", "Guatemala"),
        ("de", "Ministerio de Relaciones Exteriores de Guatemala", "Guatemala"),
    ],
)
def test_ministry_names_per_language_with_spanish_as_fallback(ministries, language, name, country):
    assert ministries["GT"].name(language) == name
    assert ministries["GT"].country(language) == country


def test_country_names_differ_per_language(ministries):
    assert [ministries["DO"].country(lang) for lang in ("es", "en", "fr")] == [
        "República Dominicana",
        "Dominican Republic",
        "République dominicaine",
    ]


@pytest.mark.parametrize("code", ["gt", "GT", " Gt "])
def test_get_ministry_ignores_case_and_spaces(ministries, code):
    assert services.get_ministry(code).code == "GT"


@pytest.mark.parametrize("code", ["", "G", "GTM", "XX", "1A", "ÑA", "G\x00", "' OR 1=1 --"])
def test_get_ministry_refuses_unknown_codes(ministries, code):
    with pytest.raises(NotFound):
        services.get_ministry(code)


def test_create_post(ministries):
    post = services.create_post(
        ministries["GT"],
        kind="consulate",
        name=" Consulado en Tapachula ",
        city="Tapachula",
        country="mx",
    )

    assert (post.name, post.city, post.country, post.ministry.code) == (
        "Consulado en Tapachula",
        "Tapachula",
        "MX",
        "GT",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "palace"}, "kind"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"city": ""}, "city"),
        ({"country": "MEX"}, "country"),
        ({"country": "1X"}, "country"),
        ({"country": "ÑA"}, "country"),
    ],
)
def test_create_post_refuses_bad_fields(ministries, fields, field):
    values = {"kind": "embassy", "name": "Embajada", "city": "Ottawa", "country": "CA", **fields}

    with pytest.raises(ValidationFailed) as caught:
        services.create_post(ministries["GT"], **values)

    assert field in caught.value.details["fields"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Post)) == 0


def test_only_staff_managers_of_the_ministry_add_posts(ministries, coordinator, learner, admin):
    values = {"kind": "embassy", "name": "Embajada", "city": "Ottawa", "country": "CA"}

    assert services.create_post(ministries["GT"], actor=coordinator, **values).id
    assert services.create_post(ministries["MX"], actor=admin, **values).id
    with pytest.raises(NotFound):
        services.create_post(ministries["MX"], actor=coordinator, **values)
    with pytest.raises(Forbidden):
        services.create_post(ministries["GT"], actor=learner, **values)


def test_get_post_within_the_actors_ministry(learner, admin, other_learner):
    post = create_post_for("GT")

    assert services.get_post(post.id, actor=learner) == post
    assert services.get_post(str(post.id), actor=admin) == post
    with pytest.raises(NotFound):
        services.get_post(post.id, actor=other_learner)


def test_get_post_for_the_command_line_checks_the_ministry(ministries):
    post = create_post_for("GT")

    assert services.get_post(post.id, ministry=ministries["GT"]) == post
    assert services.get_post(post.id) == post
    with pytest.raises(NotFound):
        services.get_post(post.id, ministry=ministries["MX"])


@pytest.mark.parametrize("post_id", [0, -1, 2**31, 10**30, "abc", "", None, True, 1.0, "1e3"])
def test_get_post_refuses_ids_that_cannot_name_a_post(ministries, post_id):
    create_post_for("GT")

    with pytest.raises(NotFound):
        services.get_post(post_id)

"""Staff management by a coordinator: list, invite, import from CSV, deactivate."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import create_post_for
from training.accounts.models import User
from training.extensions import db
from training.mail.models import OutboxMessage

HEADER = "email,full_name,post,language,role\n"


@pytest.fixture
def coordinator_api(app: Any, coordinator: Any, api_token: Any) -> Any:
    headers = api_token(coordinator)
    client = app.test_client()

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


def users() -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return sorted((u.email, u.full_name, u.language) for u in db.session.scalars(db.select(User)))


def upload(call: Any, text: str | bytes, mode: str = "preview") -> Any:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return call("POST", f"/api/v1/staff/import?mode={mode}", data=data, content_type="text/csv")


def test_import_preview_then_all_then_again_is_safe(coordinator_api: Any) -> None:
    post = create_post_for("GT", name="Consulado en Tapachula")
    csv_text = (
        HEADER + "ana.lopez@minex.gob.gt,Ana López Xiloj,Consulado en Tapachula,es,"
        "learner\nbob@minex.gob.gt,Robert Smith,,en,learner|coordinator\n"
    )
    before = users()
    preview = upload(coordinator_api, csv_text).get_json()
    assert (preview["written"], preview["errors"]) == (False, 0)
    assert [row["action"] for row in preview["rows"]] == ["create", "create"]
    assert users() == before
    done = upload(coordinator_api, csv_text, "all").get_json()
    assert (done["written"], done["created"]) == (True, 2)
    ana = db.session.scalars(db.select(User).where(User.email == "ana.lopez@minex.gob.gt")).one()
    assert ana.post_id == post.id and ana.ministry.code == "GT"
    again = upload(coordinator_api, csv_text, "all").get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = upload(
        coordinator_api, csv_text.replace("Robert Smith", "Roberto Smith"), "all"
    ).get_json()
    assert (changed["updated"], changed["unchanged"]) == (1, 1)


def test_excel_in_spanish_semicolons_and_bom(coordinator_api: Any) -> None:
    text = "\ufeffemail;full_name;post;language;role\ncarla@minex.gob.gt;Carla Pérez;;es;learner\n"
    result = upload(coordinator_api, text, "all").get_json()
    assert result["created"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(b"", "El archivo está vacío.", id="empty"),
        pytest.param(b"email,name\nx@y.org,X\n", "Los encabezados deben ser", id="columns"),
        pytest.param(
            (HEADER + "a@b.org,Ñandú,,es,learner\n").encode("latin-1"),
            "no está en UTF-8",
            id="encoding",
        ),
        pytest.param(HEADER.encode(), "no tiene filas de datos", id="no-rows"),
        pytest.param(
            (HEADER + "a@b.org,A,,es,learner,extra,cols\n" * 1)
            .replace("role\n", "role,bonus\n")
            .encode(),
            "Sobran: bonus",
            id="extra-column",
        ),
    ],
)
def test_file_level_problems_write_nothing(coordinator_api: Any, text: bytes, message: str) -> None:
    before = users()
    response = upload(coordinator_api, text, "all")
    assert response.status_code == 400
    assert message in response.get_json()["message"]
    assert users() == before


def test_a_file_too_large_is_refused(coordinator_api: Any) -> None:
    before = users()
    big = HEADER + "a@b.org,A,,es,learner\n" * 500_000  # about 11 MB
    response = upload(coordinator_api, big, "all")
    assert response.status_code == 413
    assert response.get_json()["code"] == "too_large"
    assert users() == before


def test_row_problems_are_located_and_nothing_is_written_unless_asked(
    coordinator_api: Any, make_user: Any
) -> None:
    foreign = make_user(roles=["learner"], ministry="MX")
    text = (
        HEADER
        + "\n".join(
            [
                "ok@minex.gob.gt,Persona Válida,,es,learner",
                '=cmd@minex.gob.gt,=HYPERLINK("x"),,es,learner',
                "dup@minex.gob.gt,Uno,,es,learner",
                "dup@minex.gob.gt,Dos,,es,learner",
                f"{foreign.email},Intrusa,,es,learner",
                "bad-email,Sin correo,,es,learner",
                "rol@minex.gob.gt,Rol malo,,es,admin",
                "lang@minex.gob.gt,Idioma malo,,de,learner",
                "post@minex.gob.gt,Puesto malo,Consulado inexistente,es,learner",
                "@sum@minex.gob.gt,+Suma,,es,learner",
            ]
        )
        + "\n"
    )
    before = users()
    result = upload(coordinator_api, text, "all").get_json()
    assert result["written"] is False and users() == before
    problems = {row["line"]: " ".join(row["problems"]) for row in result["rows"]}
    assert problems[2] == ""
    assert "fórmula" in problems[3]
    assert "ya aparece en la línea 4" in problems[5]
    # Another ministry's address reads as a new person (issue 9, item 6) ...
    assert problems[6] == ""
    assert "Correo electrónico no válido" in problems[7]
    assert "Rol no válido" in problems[8]
    assert "Idioma desconocido" in problems[9]
    assert "No existe el puesto" in problems[10]
    assert "fórmula" in problems[11]
    valid_only = upload(coordinator_api, text, "valid").get_json()
    # ... and counts as created: the valid row, the first "dup" and the foreign address,
    # for which nothing is written.
    assert valid_only["created"] == 3
    assert foreign.full_name != "Intrusa"
    db.session.expire_all()
    assert db.session.get(User, foreign.id).full_name == foreign.full_name


def test_five_thousand_rows_in_one_upload(coordinator_api: Any) -> None:
    text = HEADER + "".join(f"p{n}@minex.gob.gt,Persona {n},,es,learner\n" for n in range(5000))
    result = upload(coordinator_api, text, "all").get_json()
    assert result["created"] == 5000
    listing = coordinator_api("GET", "/api/v1/staff?q=persona 4999").get_json()
    assert [item["email"] for item in listing["items"]] == ["p4999@minex.gob.gt"]


def test_invitation_mails_a_single_use_link(coordinator_api: Any, app: Any) -> None:
    response = coordinator_api(
        "POST", "/api/v1/staff", json={"email": "Nueva@Minex.gob.gt", "full_name": "Nueva Persona"}
    )
    assert response.status_code == 201
    message = db.session.scalars(db.select(OutboxMessage)).all()[-1]
    assert message.recipient == "nueva@minex.gob.gt"
    link = re.search(r"https://aula\.example\.org(/account/welcome/\S+)", message.body).group(1)
    client = app.test_client()
    page = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    done = client.post(
        link,
        data={
            "csrf_token": token,
            "new_password": "una frase muy larga 2026",
            "confirm": "una frase muy larga 2026",
        },
    )
    assert done.status_code == 302
    assert client.get(link).status_code == 400  # used once
    again = coordinator_api(
        "POST", "/api/v1/staff", json={"email": "nueva@minex.gob.gt", "full_name": "Otra vez"}
    )
    assert again.status_code == 409


@pytest.mark.parametrize("roles", [["admin"], ["regional"]])
def test_coordinators_cannot_invite_privileged_roles(
    coordinator_api: Any, roles: list[str]
) -> None:
    response = coordinator_api(
        "POST", "/api/v1/staff", json={"email": "x@minex.gob.gt", "full_name": "X", "roles": roles}
    )
    assert response.status_code == 422


def test_the_staff_list_is_own_ministry_only_and_filters(
    coordinator_api: Any, make_user: Any
) -> None:
    post = create_post_for("GT")
    at_post = make_user(roles=["learner"], ministry="GT", post=post)
    mexican = make_user(roles=["learner"], ministry="MX")
    mx_post = create_post_for("MX")
    listing = coordinator_api("GET", "/api/v1/staff?per_page=200").get_json()
    emails = {item["email"] for item in listing["items"]}
    assert at_post.email in emails and mexican.email not in emails
    by_post = coordinator_api("GET", f"/api/v1/staff?post={post.id}").get_json()
    assert [item["email"] for item in by_post["items"]] == [at_post.email]
    assert coordinator_api("GET", f"/api/v1/staff?post={mx_post.id}").status_code == 404
    assert coordinator_api("POST", f"/api/v1/staff/{mexican.id}/deactivation").status_code == 404
    assert coordinator_api("GET", "/api/v1/staff?page=0").status_code == 422


def test_deactivated_staff_stay_listed(coordinator_api: Any, make_user: Any) -> None:
    person = make_user(roles=["learner"], ministry="GT")
    response = coordinator_api("POST", f"/api/v1/staff/{person.id}/deactivation")
    assert response.status_code == 200 and response.get_json()["active"] is False
    inactive = coordinator_api("GET", "/api/v1/staff?active=false").get_json()
    assert [item["email"] for item in inactive["items"]] == [person.email]


def test_posts_are_created_and_listed_for_the_ministry(coordinator_api: Any) -> None:
    response = coordinator_api(
        "POST",
        "/api/v1/posts",
        json={
            "kind": "consulate",
            "name": "Consulado en Houston",
            "city": "Houston",
            "country": "US",
        },
    )
    assert response.status_code == 201
    names = [p["name"] for p in coordinator_api("GET", "/api/v1/posts").get_json()["items"]]
    assert "Consulado en Houston" in names


def test_the_staff_page_previews_an_import(logged_in: Any, coordinator: Any) -> None:
    import io

    from tests.conftest import CSRF_PATTERN

    client = logged_in(coordinator)
    page = client.get("/coordination/staff").get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    response = client.post(
        "/coordination/staff/import",
        data={
            "csrf_token": token,
            "mode": "preview",
            "file": (io.BytesIO((HEADER + "bad,X,,es,learner\n").encode()), "personal.csv"),
        },
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "no se ha guardado nada" in text and "Correo electrónico no válido" in text


def test_a_file_over_the_import_limit_but_under_the_body_limit_is_413(
    coordinator_api: Any,
) -> None:
    before = users()
    big = HEADER + "persona@minex.gob.gt,Persona,,es,learner\n" * 60_000  # about 2.5 MB

    response = upload(coordinator_api, big, "all")

    assert response.status_code == 413
    body = response.get_json()
    assert body["code"] == "too_large"
    assert "2 MB" in body["details"]["fields"]["file"][0]
    assert users() == before

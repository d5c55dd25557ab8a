"""The one CSV reader behind every upload: what it accepts and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from training.csvfiles import CsvProblem, read


@pytest.mark.parametrize(
    "data",
    [
        b"email,nombre\r\nana@x.org,Ana\r\n",
        "\ufeffemail;nombre\nana@x.org;Ana\n".encode(),
        b"email\tnombre\nana@x.org\tAna\n",
        b"\n\nemail,nombre\n\n ana@x.org ,Ana\n,\n",
    ],
    ids=["comma-crlf", "excel-spanish-bom", "tab", "blank-lines"],
)
def test_accepts_what_spreadsheets_write(app: Any, data: bytes) -> None:
    with app.test_request_context():
        table = read(data, max_bytes=1000, max_rows=10)

    assert table.header == ["email", "nombre"]
    assert [(values[0].strip(), values[1]) for _line, values in table.rows] == [
        ("ana@x.org", "Ana")
    ]


def test_line_numbers_follow_the_file(app: Any) -> None:
    data = b'email,nota\na@x.org,"dos\nlineas"\n\nb@x.org,x\n'
    with app.test_request_context():
        table = read(data, max_bytes=1000, max_rows=10)

    assert [line for line, _values in table.rows] == [3, 5]


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"", 400, "vacío"),
        (b" \r\n\n", 400, "vacío"),
        (b"\xef\xbb\xbf", 400, "vacío"),
        (b"\xef\xbb\xbf\r\n", 400, "vacío"),
        ("\u00a0\n\u3000".encode(), 400, "vacío"),
        ("email\nñandú@x.org\n".encode("latin-1"), 400, "UTF-8"),
        (b"email\na@x.org\x00\n", 400, "caracteres no permitidos"),
        (b'email\n"a@x.org\n', 400, "línea 2"),
        (b"email\n" + b"a@x.org\n" * 11, 400, "más de 10 filas"),
        (b"email\n" + b"a" * 2000, 413, "demasiado grande"),
    ],
    ids=[
        "empty",
        "blank",
        "bom-only",
        "bom-and-newline",
        "unicode-blanks",
        "latin-1",
        "nul",
        "unclosed-quote",
        "too-many-rows",
        "too-large",
    ],
)
def test_refuses_the_whole_file_with_a_reason(
    app: Any, data: bytes, status: int, message: str
) -> None:
    with app.test_request_context(), pytest.raises(CsvProblem) as caught:
        read(data, max_bytes=1000, max_rows=10)

    assert caught.value.status == status
    assert message in caught.value.message
    assert caught.value.details["fields"]["file"] == [caught.value.message]

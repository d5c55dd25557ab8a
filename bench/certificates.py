"""Certificates: the median time to render (and PAdES-sign) one PDF, and to issue 1,000
certificates (numbered, signed, committed).

    .venv/bin/python bench/certificates.py [--pdfs 200] [--issue 1000]

Target: at most 25 ms per PDF on this machine class.
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import ROOT, temporary_database


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pdfs", type=int, default=200)
    parser.add_argument("--issue", type=int, default=1000)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from training import create_app
    from training.accounts.models import User
    from training.catalog import services as catalog
    from training.catalog.models import Program
    from training.certificates import issuing, pdf
    from training.certificates.models import Certificate
    from training.database import utcnow
    from training.extensions import db
    from training.ministries.services import get_ministry, seed_ministries

    url, folder = temporary_database()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        seed_ministries()
        catalog.sync(ROOT / "content" / "manual_modules")
        db.session.commit()
        program = db.session.scalars(select(Program)).one()
        ministry = get_ministry("GT")
        ministry.certificate_approval = "manual"
        now = utcnow()
        db.session.execute(
            insert(User),
            [
                {
                    "id": n,
                    "email": f"p{n}@bench.example.org",
                    "full_name": f"Persona Núñez {n}",
                    "language": "es",
                    "ministry_id": ministry.id,
                    "active": True,
                    "auth_version": 1,
                    "created_at": now,
                }
                for n in range(1, args.issue + 1)
            ],
        )
        db.session.commit()
        users = db.session.scalars(select(User).order_by(User.id)).all()

        started = time.perf_counter()
        for user in users:
            issuing.request_certificate(user, program)
            certificate = issuing.current_certificate(user, program)
            assert certificate is not None
            issuing.sign_and_number(certificate, None)
        db.session.commit()
        issue_seconds = time.perf_counter() - started

        certificate = db.session.scalars(select(Certificate)).first()
        assert certificate is not None
        timings = []
        for _ in range(args.pdfs):
            begin = time.perf_counter()
            pdf.render(certificate)
            timings.append((time.perf_counter() - begin) * 1000)
        size = len(pdf.render(certificate))
        db.engine.dispose()
    folder.cleanup()
    print(
        f"issue {args.issue} certificates: {issue_seconds:.2f} s "
        f"({issue_seconds / args.issue * 1000:.2f} ms each, median not applicable: one batch)"
    )
    print(
        f"render one PDF: median {statistics.median(timings):.2f} ms, "
        f"p90 {sorted(timings)[int(len(timings) * 0.9)]:.2f} ms over {args.pdfs} renders; "
        f"{size} bytes"
    )
    print(f"target 25 ms per PDF: {'met' if statistics.median(timings) <= 25 else 'missed'}")


if __name__ == "__main__":
    main()

"""Certificates as JSON: the learner's, the issuers', public verification and keys."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from training import authz
from training.certificates import (
    credential,
    issuing,
    keys,
    lifecycle,
    lookup,
    pdf,
    presenters,
    schemas,
    signing,
    status_list,
)
from training.errors import NotFound
from training.extensions import limiter
from training.i18n import current_language
from training.ministries import services as ministries
from training.schemas import envelope

blp = Blueprint(
    "certificates_api",
    __name__,
    url_prefix="/api/v1",
    description="Certificates, their verification and the ministries' keys.",
)


def verification_limit() -> str:
    return str(current_app.config["VERIFY_RATE_LIMIT"])


@blp.route("/me/certificates")
class MyCertificates(MethodView):
    @blp.response(200, schemas.CertificateListSchema)
    @authz.login_required
    def get(self) -> dict[str, Any]:
        """The signed-in learner's certificates."""
        language = current_language()
        items = [presenters.summary(c, language) for c in lookup.for_learner(authz.actor())]
        return envelope(items)


@blp.route("/certificates")
class Certificates(MethodView):
    @blp.arguments(schemas.CertificateQuerySchema, location="query")
    @blp.response(200, schemas.CertificateListSchema)
    @authz.permission_required(authz.Permission.view_certificates)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The ministry's certificates, newest first, with filters."""
        page, per_page = query["page"], query["per_page"]
        rows, total = lookup.for_staff(
            authz.actor(),
            status=query.get("status"),
            search=query.get("q"),
            cohort_id=query.get("cohort"),
            limit=per_page,
            offset=(page - 1) * per_page,
        )
        language = current_language()
        items = [presenters.summary(c, language, internal=True) for c in rows]
        return envelope(items, total, page, per_page)


@blp.route("/certificates/<code>/pdf")
class CertificatePdf(MethodView):
    @blp.response(
        200,
        content_type="application/pdf",
        description="The certificate (PAdES-signed when the ministry has a key).",
    )
    @blp.alt_response(404, description="Unknown, or not yours to see.")
    @blp.alt_response(409, description="Still waiting for approval.")
    @authz.login_required
    def get(self, code: str) -> Response:
        """Download the certificate as PDF."""
        certificate = lookup.own_or_staff(authz.actor(), code)
        lookup.require_issued(certificate)
        response = Response(pdf.render(certificate), mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{certificate.serial}.pdf"'
        return response


@blp.route("/certificates/<code>/credential")
class CertificateCredential(MethodView):
    @blp.response(
        200,
        content_type="application/vc+jwt",
        description="Open Badges 3.0 credential as a VC-JWT (EdDSA).",
    )
    @blp.alt_response(404, description="Unknown, or not yours.")
    @authz.login_required
    def get(self, code: str) -> Response:
        """The holder's Open Badges 3.0 credential."""
        user = authz.actor()
        certificate = lookup.own_or_staff(user, code)
        if certificate.user_id != user.id:
            raise NotFound()
        lookup.require_issued(certificate)
        return Response(credential.vc_jwt(certificate), mimetype="application/vc+jwt")


@blp.route("/certificates/<code>/revocation")
class Revocation(MethodView):
    @blp.arguments(schemas.RevocationSchema)
    @blp.response(200, schemas.CertificateSummarySchema)
    @blp.alt_response(409, description="Already revoked, or still pending.")
    @authz.permission_required(authz.Permission.issue_certificates)
    def post(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Revoke a certificate of your ministry, with an internal reason and a public
        category (``other`` when omitted)."""
        certificate = lifecycle.revoke(authz.actor(), code, data["reason"], data.get("category"))
        return presenters.summary(certificate, current_language(), internal=True)


@blp.route("/certificates/<code>/reissue")
class Reissue(MethodView):
    @blp.arguments(schemas.ReissueSchema)
    @blp.response(201, schemas.CertificateSummarySchema)
    @blp.alt_response(403, description="Your own certificate.")
    @blp.alt_response(409, description="Not valid (pending, revoked or already re-issued).")
    @authz.permission_required(authz.Permission.issue_certificates)
    def post(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Issue a replacement (a corrected name, say); the old one is revoked as
        "reissued" and stays verifiable."""
        certificate = lifecycle.reissue(
            authz.actor(), code, holder_name=data.get("holder_name"), reason=data.get("reason")
        )
        return presenters.summary(certificate, current_language(), internal=True)


@blp.route("/certificates/<code>/approval")
class Approval(MethodView):
    @blp.response(200, schemas.CertificateSummarySchema)
    @blp.alt_response(403, description="Your own certificate.")
    @blp.alt_response(409, description="Not pending.")
    @authz.permission_required(authz.Permission.issue_certificates)
    def post(self, code: str) -> dict[str, Any]:
        """Approve a pending certificate: it is numbered, signed and issued (never your
        own: 403)."""
        certificate = lifecycle.approve(authz.actor(), code)
        return presenters.summary(certificate, current_language(), internal=True)


@blp.route("/verify/<code>")
class Verify(MethodView):
    decorators = [limiter.limit(verification_limit)]

    @blp.response(200, schemas.VerificationSchema)
    @blp.alt_response(404, description="No certificate with that code.")
    def get(self, code: str) -> dict[str, Any]:
        """Public verification of a certificate by its code."""
        result = signing.verify(code)
        return presenters.verification(result.certificate, result.status, current_language())


@blp.route("/ministries/<code>/keys")
class MinistryKeys(MethodView):
    @blp.response(200, schemas.JwksSchema)
    @blp.alt_response(404, description="No such ministry.")
    def get(self, code: str) -> dict[str, Any]:
        """The ministry's public signing keys (old ones included) as a JWK set."""
        return keys.jwks(ministries.get_ministry(code))


@blp.route("/ministries/<code>/status/revocation")
class RevocationStatusList(MethodView):
    decorators = [limiter.limit(verification_limit)]

    @blp.response(
        200,
        content_type="application/vc+jwt",
        description="The ministry's W3C Bitstring Status List credential (statusPurpose "
        "revocation) as a VC-JWT (EdDSA), signed with its current key.",
    )
    @blp.alt_response(404, description="No such ministry, or it has issued nothing yet.")
    def get(self, code: str) -> Response:
        """The ministry's revocations as a signed Bitstring Status List credential."""
        token = status_list.vc_jwt(ministries.get_ministry(code))
        if token is None:
            raise NotFound(_("Este ministerio todavía no ha emitido certificados."))
        response = Response(token, mimetype="application/vc+jwt")
        response.headers["Cache-Control"] = "public, max-age=60"
        return response


@blp.route("/cohorts/<cohort_id>/certificates")
class CohortIssue(MethodView):
    @blp.response(202, schemas.IssueQueuedSchema)
    @blp.alt_response(404, description="No such cohort in your ministry.")
    @authz.permission_required(authz.Permission.issue_certificates)
    def post(self, cohort_id: str) -> tuple[dict[str, int], int, dict[str, str]]:
        """Issue the certificates of every member of the cohort who completed its program
        and has none valid yet. They are issued in the background: the answer (202) says
        how many were asked for, and ``Location`` is the cohort's certificate list, where
        they appear as they are issued. Asking again is harmless."""
        queued = issuing.queue_for_cohort(authz.actor(), cohort_id)
        location = url_for("certificates_api.Certificates", cohort=cohort_id)
        return {"queued": queued}, 202, {"Location": location}

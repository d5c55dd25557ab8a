"""The external course registry as JSON: the twin of every page of training.links.views."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from training import authz, security
from training.errors import ValidationFailed
from training.i18n import current_language
from training.links import completion_import, completions, courses, schemas
from training.links.models import ExternalCompletion, ExternalLinkCheck
from training.links.presenters import learner_data
from training.schemas import envelope

# A session-authenticated call may send its CSRF token as a form part.
CSRF_FIELD = "csrf_token"


class MultipartParser(FlaskParser):
    """Also reads ``form_and_files``: the text fields and the files of one multipart body
    (webargs reads ``form`` and ``files`` separately, and OpenAPI allows one body)."""

    __location_map__ = {"form_and_files": "load_form_and_files", **FlaskParser.__location_map__}
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "form_and_files": ma.EXCLUDE,
    }

    def load_form_and_files(self, req: Any, schema: ma.Schema) -> Any:
        """The parts of a multipart body, which must be the schema's fields: files where
        it takes a file, text elsewhere; any other body or part is a 422 naming it."""
        if req.mimetype != "multipart/form-data":
            raise ValidationFailed(
                _("Envíe los datos como multipart/form-data."),
                details={"fields": {"body": [_("Se espera multipart/form-data.")]}},
            )
        problems: dict[str, list[str]] = {}
        for name in req.files:
            field = schema.fields.get(name)
            if field is None:
                problems[name[:60]] = [_("Esta parte no forma parte de la solicitud.")]
            elif not isinstance(field, Upload):
                problems[name] = [_("Debe ser un campo de texto, no un archivo.")]
        for name in req.form:
            field = schema.fields.get(name)
            if name == CSRF_FIELD:
                continue
            if field is None:
                problems[name[:60]] = [_("Esta parte no forma parte de la solicitud.")]
            elif isinstance(field, Upload):
                problems[name] = [_("Debe ser un archivo.")]
        if problems:
            raise ValidationFailed(details={"fields": problems})
        form = MultiDict(
            (name, value) for name, value in req.form.items(multi=True) if name != CSRF_FIELD
        )
        return self._makeproxy(CombinedMultiDict([req.files, form]), schema)


class LinksBlueprint(Blueprint):
    ARGUMENTS_PARSER = MultipartParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "form_and_files": "multipart/form-data",
    }


blp = LinksBlueprint(
    "links_api",
    __name__,
    url_prefix="/api/v1",
    description="External courses (IOM's virtual course first): registry, launches, "
    "completions and their verification, link checks.",
)


# --- Presenting -------------------------------------------------------------------------


def completion_data(completion: ExternalCompletion, language: str) -> dict[str, Any]:
    evidence = None
    if completion.evidence_name:
        evidence = {
            "url": url_for("links_api.CompletionEvidence", completion_id=completion.id),
            "media_type": completion.evidence_type,
            "size": completion.evidence_size,
        }
    return {
        "id": completion.id,
        "course_id": completion.course_id,
        "course_title": completion.course.title_in(language),
        "status": completion.status,
        "source": completion.source,
        "completed_on": completion.completed_on,
        "note": completion.note,
        "reported_at": completion.reported_at,
        "reviewed_at": completion.reviewed_at,
        "review_note": completion.review_note,
        "evidence": evidence,
    }


def course_data(view: courses.CourseView, language: str) -> dict[str, Any]:
    course = view.course
    return {
        "id": course.id,
        "provider": course.provider,
        "title": course.title_in(language),
        "description": course.description_in(language),
        "url": course.url,
        "language": course.language,
        "modules": view.module_slugs,
        "counts_toward_program": view.counts_toward_program,
        "launch_url": url_for("links.launch", course_id=course.id),
        "completion": completion_data(view.completion, language) if view.completion else None,
    }


def check_data(check: ExternalLinkCheck) -> dict[str, Any]:
    return {
        "checked_at": check.checked_at,
        "url": check.url,
        "status_code": check.status_code,
        "error": check.error,
        "ok": check.ok,
    }


def managed_course_data(view: courses.CourseView) -> dict[str, Any]:
    course = view.course
    return {
        "id": course.id,
        "provider": course.provider,
        "title": dict(course.title),
        "description": dict(course.description or {}),
        "url": course.url,
        "language": course.language,
        "modules": view.module_slugs,
        "counts_toward_program": view.counts_toward_program,
        "ministry": course.ministry.code if course.ministry else None,
        "active": course.active,
        "editable": view.editable,
        "broken": view.broken,
        "last_check": check_data(view.last_check) if view.last_check else None,
    }


# --- The registry -----------------------------------------------------------------------


@blp.route("/external-courses")
class ExternalCourses(MethodView):
    @blp.response(200, schemas.ExternalCourseListSchema)
    @authz.login_required
    def get(self) -> dict[str, Any]:
        """The external courses you can follow, with whether your ministry counts each
        toward the program and your own completion."""
        language = current_language()
        return envelope([course_data(v, language) for v in courses.courses_for(authz.actor())])

    @blp.arguments(schemas.ExternalCourseCreateSchema)
    @blp.response(201, schemas.ExternalManagedCourseSchema)
    @authz.permission_required(authz.Permission.manage_external_courses)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register a course (administrators: for every ministry; coordinators: for
        their own ministry)."""
        user = authz.actor()
        course = courses.register(user, data)
        return managed_course_data(
            courses.CourseView(course, bool(data.get("counts_toward_program")), editable=True)
        )


@blp.route("/external-courses/<course_id>")
class ExternalCourseDetail(MethodView):
    @blp.response(200, schemas.ExternalCourseSchema)
    @blp.alt_response(404, description="No such course, or not your ministry's.")
    @authz.login_required
    def get(self, course_id: str) -> dict[str, Any]:
        """One course, as the list shows it."""
        return course_data(courses.course_for(authz.actor(), course_id), current_language())

    @blp.arguments(schemas.ExternalCourseUpdateSchema)
    @blp.response(200, schemas.ExternalManagedCourseSchema)
    @blp.alt_response(403, description="A global course (only administrators change it).")
    @blp.alt_response(404, description="No such course, or another ministry's.")
    @authz.permission_required(authz.Permission.manage_external_courses)
    def patch(self, data: dict[str, Any], course_id: str) -> dict[str, Any]:
        """Change a course of your ministry; ``active: false`` withdraws it."""
        user = authz.actor()
        course = courses.update(user, course_id, data)
        view = next(v for v in courses.managed_courses(user) if v.id == course.id)
        return managed_course_data(view)


@blp.route("/external-courses/<course_id>/launches")
class Launches(MethodView):
    @blp.response(201, schemas.ExternalLaunchSchema)
    @blp.alt_response(404, description="No such course, or not your ministry's.")
    @authz.permission_required(authz.Permission.learn)
    def post(self, course_id: str) -> dict[str, Any]:
        """Record a launch and return the registered URL to open (the JSON twin of
        ``GET /go/{id}``)."""
        launch, target = courses.launch(authz.actor(), course_id)
        return {
            "id": launch.id,
            "course_id": launch.course_id,
            "url": target,
            "launched_at": launch.launched_at,
        }


@blp.route("/external-courses/<course_id>/program-credit")
class ProgramCredit(MethodView):
    @blp.arguments(schemas.ExternalCreditSchema)
    @blp.response(200, schemas.ExternalManagedCourseSchema)
    @blp.alt_response(404, description="No such course, or another ministry's.")
    @authz.permission_required(authz.Permission.manage_external_courses)
    def put(self, data: dict[str, Any], course_id: str) -> dict[str, Any]:
        """Whether your ministry counts the course toward the program."""
        view = courses.set_credit(authz.actor(), course_id, data["counts_toward_program"])
        return managed_course_data(view)


@blp.route("/external-courses/<course_id>/checks")
class LinkChecks(MethodView):
    @blp.response(200, schemas.ExternalLinkCheckListSchema)
    @blp.alt_response(404, description="No such course, or another ministry's.")
    @authz.permission_required(authz.Permission.manage_external_courses)
    def get(self, course_id: str) -> dict[str, Any]:
        """The course's link-check history, newest first (``flask links check``)."""
        view, checks = courses.check_history(authz.actor(), course_id)
        return {**envelope([check_data(c) for c in checks]), "course": managed_course_data(view)}


@blp.route("/coordination/external-courses")
class ManagedCourses(MethodView):
    @blp.response(200, schemas.ExternalManagedCourseListSchema)
    @authz.permission_required(authz.Permission.manage_external_courses)
    def get(self) -> dict[str, Any]:
        """Every course your ministry sees, withdrawn ones too, with the last link check
        (``broken`` when it failed)."""
        return envelope([managed_course_data(v) for v in courses.managed_courses(authz.actor())])


# --- Completions ------------------------------------------------------------------------


@blp.route("/external-courses/<course_id>/completion")
class CompletionReport(MethodView):
    body_limit_setting = "API_UPLOAD_MAX_BODY_BYTES"

    @blp.arguments(schemas.ExternalCompletionReportSchema, location="form_and_files")
    @blp.response(201, schemas.ExternalCompletionSummarySchema)
    @blp.alt_response(200, schema=schemas.ExternalCompletionSummarySchema, description="Updated.")
    @blp.alt_response(400, description="A file name with a path or control characters.")
    @blp.alt_response(404, description="No such course, or not your ministry's.")
    @blp.alt_response(409, description="Already verified.")
    @blp.alt_response(413, description="Evidence larger than the limit.")
    @blp.alt_response(415, description="Evidence that is not a PDF, PNG or JPEG.")
    @authz.permission_required(authz.Permission.learn)
    def post(self, data: dict[str, Any], course_id: str) -> tuple[dict[str, Any], int]:
        """Report that you completed the course, with optional evidence (PDF, PNG or
        JPEG, checked by content). Your coordination verifies it."""
        evidence = data.get("evidence")
        completion, created = completions.report_completion(
            authz.actor(),
            course_id,
            completed_on=data.get("completed_on"),
            note=data.get("note"),
            filename=evidence.filename if evidence is not None else None,
            stream=evidence.stream if evidence is not None else None,
        )
        return completion_data(completion, current_language()), 201 if created else 200


@blp.route("/me/external-completions")
class MyCompletions(MethodView):
    @blp.response(200, schemas.ExternalCompletionListSchema)
    @authz.login_required
    def get(self) -> dict[str, Any]:
        """Your reported, verified and rejected external-course completions."""
        language = current_language()
        return envelope(
            [completion_data(c, language) for c in completions.my_completions(authz.actor())]
        )


@blp.route("/coordination/external-completions")
class CompletionQueue(MethodView):
    @blp.arguments(schemas.ExternalCompletionQuerySchema, location="query")
    @blp.response(200, schemas.ExternalStaffCompletionListSchema)
    @authz.permission_required(authz.Permission.manage_external_courses)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Completions of your ministry's learners, oldest first; ``status`` reported
        (the default: waiting for review), verified, rejected or all."""
        page, per_page = query["page"], query["per_page"]
        status = None if query["status"] == "all" else query["status"]
        rows, total = completions.completion_queue(
            authz.actor(), status=status, limit=per_page, offset=(page - 1) * per_page
        )
        language = current_language()
        items = [
            {**completion_data(row.completion, language), "learner": learner_data(row.learner)}
            for row in rows
        ]
        return envelope(items, total, page, per_page)


@blp.route("/external-completions/<completion_id>/review")
class Review(MethodView):
    @blp.arguments(schemas.ExternalReviewSchema)
    @blp.response(200, schemas.ExternalCompletionSummarySchema)
    @blp.alt_response(403, description="Your own completion.")
    @blp.alt_response(404, description="No such completion, or another ministry's.")
    @blp.alt_response(409, description="Already reviewed.")
    @authz.permission_required(authz.Permission.manage_external_courses)
    def post(self, data: dict[str, Any], completion_id: str) -> dict[str, Any]:
        """Verify or reject a reported completion (a rejection needs a ``note``)."""
        completion = completions.review(
            authz.actor(), completion_id, data["decision"], data.get("note")
        )
        return completion_data(completion, current_language())


@blp.route("/external-completions/<completion_id>/evidence")
class CompletionEvidence(MethodView):
    @blp.response(
        200,
        content_type="application/octet-stream",
        description="The evidence file (PDF, PNG or JPEG), as an attachment.",
    )
    @blp.alt_response(404, description="No such evidence, or not yours to see.")
    @authz.login_required
    def get(self, completion_id: str) -> Response:
        """The evidence of a completion: for its learner and their coordinators."""
        found = completions.evidence_file(authz.actor(), completion_id)
        return evidence_response(found)


def evidence_response(found: completions.EvidenceFile) -> Response:
    return security.private_download(found.path, found.media_type, found.download_name)


@blp.route("/external-courses/<course_id>/completion-imports")
class CompletionImport(MethodView):
    body_limit_setting = "API_UPLOAD_MAX_BODY_BYTES"

    @blp.arguments(schemas.ExternalCompletionImportSchema, location="form_and_files")
    @blp.response(200, schemas.ExternalImportReportSchema)
    @blp.alt_response(404, description="No such course, or another ministry's.")
    @authz.permission_required(authz.Permission.manage_external_courses)
    def post(self, data: dict[str, Any], course_id: str) -> dict[str, Any]:
        """Import the provider's completion list (CSV): rows whose e-mail belongs to a
        learner of your ministry become verified completions; every row is reported."""
        report = completion_import.import_completions(authz.actor(), course_id, data["file"].stream)
        return import_data(report)


def import_data(report: completion_import.ImportReport) -> dict[str, Any]:
    return {
        "course_id": report.course.id,
        "counts": report.counts,
        "rows": [
            {
                "line": row.line,
                "email": row.email,
                "result": row.result,
                "completion_id": row.completion_id,
            }
            for row in report.rows
        ],
    }

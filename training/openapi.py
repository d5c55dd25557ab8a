"""Additions to the OpenAPI document that hold for every operation.

Every operation that takes a body documents the 413 answer of the body limit
(``API_MAX_BODY_BYTES``, or the larger limit of an endpoint that takes a file), which
``training.security`` applies before the operation sees the body.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

TOO_LARGE = {
    "description": "Request body larger than the limit (API_MAX_BODY_BYTES; "
    "API_UPLOAD_MAX_BODY_BYTES for file uploads): refused before it is read.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


class BodyLimitPlugin(BasePlugin):
    """Adds the 413 response to every operation with a ``requestBody``."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            responses = operation.setdefault("responses", {})
            if 413 not in responses and "413" not in responses:
                responses["413"] = dict(TOO_LARGE)

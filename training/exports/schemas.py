from __future__ import annotations

from marshmallow import Schema, fields


class ExportSchema(Schema):
    id = fields.String(metadata={"description": "Unguessable id of the export."})
    status = fields.String(metadata={"description": "queued, ready or failed."})
    filename = fields.String()
    size = fields.Integer(allow_none=True, metadata={"description": "Bytes, once ready."})
    error = fields.String(allow_none=True)
    created_at = fields.String()
    finished_at = fields.String(allow_none=True)
    expires_at = fields.String()
    download_url = fields.String(
        allow_none=True, metadata={"description": "Where to download the file, once ready."}
    )

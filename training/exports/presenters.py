from __future__ import annotations

from typing import Any

from flask import url_for

from training.database import isoformat_z
from training.exports.models import READY, Export


def export_data(export: Export) -> dict[str, Any]:
    return {
        "id": export.id,
        "status": export.status,
        "filename": export.filename,
        "size": export.size,
        "error": export.error,
        "created_at": isoformat_z(export.created_at),
        "finished_at": isoformat_z(export.finished_at),
        "expires_at": isoformat_z(export.expires_at),
        "download_url": url_for("exports_api.ExportFile", export_id=export.id)
        if export.status == READY
        else None,
    }

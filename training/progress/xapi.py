"""Learning events as xAPI 1.0.3 statements.

The actor is identified by an account on this platform (``homePage`` and the user's id
as ``name``), never by e-mail. Verbs are ADL's; objects are stable URLs of the module,
lesson, question or program on this site.
"""

from __future__ import annotations

from typing import Any

from training.database import isoformat_z
from training.progress.models import LearningEvent

ADL_VERBS = {
    "launched": "http://adlnet.gov/expapi/verbs/launched",
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
}
ACTIVITY_TYPES = {
    "module": "http://adlnet.gov/expapi/activities/module",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "program": "http://adlnet.gov/expapi/activities/course",
    "external_course": "http://adlnet.gov/expapi/activities/link",
}
LANGUAGE_TAGS = {"es": "es", "en": "en", "fr": "fr"}


def object_url(base_url: str, event: LearningEvent) -> str:
    key = event.object_key
    if event.object_type == "module":
        return f"{base_url}/modules/{key}"
    if event.object_type == "lesson":
        slug, number = key.split("/", 1)
        return f"{base_url}/modules/{slug}/lessons/{number}"
    if event.object_type == "question":
        slug, question = key.split("/", 1)
        return f"{base_url}/modules/{slug}/questions/{question}"
    if event.object_type == "external_course":
        return f"{base_url}/go/{key}"
    return f"{base_url}/programs/{key}"


def statement(event: LearningEvent, base_url: str) -> dict[str, Any]:
    verb = event.verb
    activity: dict[str, Any] = {
        "objectType": "Activity",
        "id": object_url(base_url, event),
        "definition": {"type": ACTIVITY_TYPES[event.object_type]},
    }
    if event.object_name:
        activity["definition"]["name"] = {
            LANGUAGE_TAGS[lang]: text
            for lang, text in event.object_name.items()
            if lang in LANGUAGE_TAGS
        }
    result: dict[str, Any] = {}
    if event.result:
        result = {
            key: value
            for key, value in event.result.items()
            if key in {"score", "success", "completion", "response", "duration"}
        }
    data: dict[str, Any] = {
        "id": event.statement_id,
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": base_url, "name": str(event.user_id)},
        },
        "verb": {"id": ADL_VERBS[verb], "display": {"en-US": verb}},
        "object": activity,
        "timestamp": isoformat_z(event.occurred_at),
        "version": "1.0.3",
    }
    if result:
        data["result"] = result
    if event.module_version_id is not None and event.object_type != "module":
        data["context"] = {
            "contextActivities": {
                "parent": [
                    {
                        "objectType": "Activity",
                        "id": f"{base_url}/modules/{event.object_key.split('/', 1)[0]}",
                    }
                ]
            }
        }
    return data

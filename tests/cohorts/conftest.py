from tests.content_helpers import synced_content  # noqa: F401

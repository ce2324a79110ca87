"""SendCloud's dialect of the mailseg operations.

Bearer auth with ``base64("api_user:api_key")`` (or a ready token), camelCase
keys, PATCH updates, ``count`` as the page size, bare JSON bodies, lists as
``{"list": [...], "total": N}``, errors as ``{"status", "error": {"parameter",
"message"}}``.

The segment endpoints are documented. Of the tag endpoints only create, update
and delete are; list, add, remove and members are *inferred* (SendCloud's
conventions applied to EngageLab's documented paths). Each inferred piece is a
class attribute or a small method, so a user can correct one by subclassing::

    class MySendCloud(SendCloudAdapter):
        tag_add_path = "/marketing/lists/tags/{tag_id}/members/add"

    client = mailseg.connect(MySendCloud, api_user=..., api_key=...)
"""

from __future__ import annotations

__all__ = ["SendCloudAdapter"]

from mailseg_sendcloud._adapter import SendCloudAdapter

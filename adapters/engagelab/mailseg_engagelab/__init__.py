"""EngageLab's dialect of the mailseg operations.

Basic auth with ``base64("api_user:api_key")`` (or a ready token), snake_case
keys, PUT updates, ``limit`` as the page size, every answer wrapped as
``{"result": ...}`` (lists add ``"total"`` and ``"count"``), errors as
``{"code", "message"}``. The code decides the error's kind before the HTTP
status does: EngageLab shows a duplicate tag name (32603) with HTTP 401, and
a 2xx body that carries an error code is an error.
"""

from __future__ import annotations

__all__ = ["EngageLabAdapter"]

from mailseg_engagelab._adapter import EngageLabAdapter

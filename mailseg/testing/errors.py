"""The errors a handler raises, provider-neutral; each dialect renders them its own way."""

from __future__ import annotations

import enum


class ErrorKind(enum.Enum):
    """What went wrong, which decides the HTTP status and the provider's error code."""

    UNAUTHORIZED = "unauthorized"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    TOO_LARGE = "too_large"
    SERVER_ERROR = "server_error"


class ApiError(Exception):
    """A request the emulated provider refuses.

    ``parameter`` is a neutral key (``segment_name``, ``field_name``, ``page_size``...) that
    the dialect turns into its own spelling; in ``message``, the placeholder ``{key}`` becomes
    that spelling too, so one message reads right in both dialects.
    """

    def __init__(self, kind: ErrorKind, message: str, parameter: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.parameter = parameter


def invalid(parameter: str, message: str) -> ApiError:
    """A 400 about one parameter."""
    return ApiError(ErrorKind.INVALID, message, parameter)


def not_found(message: str = "not found") -> ApiError:
    """A 404 for an id that names nothing (EngageLab says "not found" for segments and
    "resource not found" for tags; SendCloud always says "resource not found")."""
    return ApiError(ErrorKind.NOT_FOUND, message)

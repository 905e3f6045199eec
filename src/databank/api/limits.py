"""The request-body limit, enforced twice: by `Content-Length` before anything is read, and by
counting the bytes as they stream in, so a chunked body without a length cannot get past either.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from databank.api.errors import ApiError, error_body, json_response


def body_too_large(limit: int) -> ApiError:
    """The 413 error for a body over `limit` bytes."""
    return ApiError(
        413,
        "body_too_large",
        f"the request body is larger than the limit of {limit:,} bytes",
        details={"max_body_bytes": limit},
    )


class BodyLimitMiddleware:
    """Pure ASGI middleware: 413 for a body over `max_bytes`, whatever the route."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what actually arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            problem = None
            if declared == -1:
                problem = json_response(
                    400, error_body("bad_request", "the Content-Length header is not a number")
                )
            elif declared > self.max_bytes:
                error = body_too_large(self.max_bytes)
                problem = json_response(
                    413,
                    error_body(error.code, error.message, error.details),
                    {"Connection": "close"},
                )
            if problem is not None:
                await problem(scope, receive, send)
                return

        seen = 0
        limit = self.max_bytes

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Raised inside the route's body read; the error handlers render it as JSON.
                    raise body_too_large(limit)
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared body length; None if absent, -1 if malformed."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() and len(text) < 20 else -1
    return None

"""Every error tracehound raises on purpose, in one tree.

::

    TracehoundError
      ConfigError            .setting
      ExportError            .status, .batch_size   (SDK side; logged, never raised into user code)
      StoreError             wraps sqlite3 / ClickHouse / PostgreSQL errors at the store boundary
        SpanConflict
      QueryError
        FilterSyntaxError    .text, .position, .expected
      InvalidSpan            .field, .index, .span_id
      MalformedRequest       the body is not JSON (or not the protocol) at all
      InvalidValue           .field   a well-formed request with a value that cannot be used (422)
      NotFound
      Unauthorized           no credential, or one the server does not know (401)
      Forbidden              a known credential whose role does not allow the request (403)
      Conflict               the thing exists already (a dataset name taken)
      PayloadTooLarge        .limit
      ApiError               .status, .code   a server's error answer, raised by the SDK client
      GuardTripped           .guard, .limit, .value   a runtime guard stopped the agent (raised on purpose)
        LoopDetected         the same tool called too often in one run
        StepBudgetExceeded   too many steps in one run
        TokenBudgetExceeded  too many tokens in one run

Each error knows the HTTP status and the short code the server answers with, so one handler can turn
any of them into ``{"error": {"code", "message", "field"}}``.
"""

from __future__ import annotations


class TracehoundError(Exception):
    """Base of every tracehound error."""

    status: int = 500
    code: str = "internal_error"
    field: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The JSON body the API answers with."""
        return {"error": {"code": self.code, "message": str(self), "field": self.field}}


class ConfigError(TracehoundError):
    """A setting has a value tracehound cannot use."""

    status = 500
    code = "config_error"

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class ExportError(TracehoundError):
    """The SDK could not deliver a batch; logged by the exporter, never raised into user code."""

    code = "export_error"

    def __init__(self, message: str, *, status: int | None = None, batch_size: int = 0) -> None:
        super().__init__(message)
        self.status = status or 0
        self.batch_size = batch_size


class StoreError(TracehoundError):
    """A storage engine failed; the driver's own error is the ``__cause__``."""

    status = 503
    code = "store_error"


class SpanConflict(StoreError):
    """A span contradicts what is already stored (for example a different trace for the same id)."""

    status = 409
    code = "span_conflict"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class QueryError(TracehoundError):
    """A query cannot be answered as asked."""

    status = 400
    code = "invalid_query"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class FilterSyntaxError(QueryError):
    """A filter expression does not parse; says where and what was expected."""

    code = "filter_syntax"

    def __init__(self, text: str, position: int, expected: str, *, field: str | None = "filter") -> None:
        found = text[position : position + 12] or "end of input"
        super().__init__(f"at position {position}: expected {expected}, found {found!r}", field=field)
        self.text = text
        self.position = position
        self.expected = expected


class InvalidSpan(TracehoundError):
    """A span (or a batch of spans) breaks the span model; names the span and the field."""

    status = 422
    code = "invalid_span"

    def __init__(
        self, message: str, *, field: str | None = None, index: int | None = None, span_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.index = index
        self.span_id = span_id

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        body["error"].update({"index": self.index, "span_id": self.span_id})  # type: ignore[attr-defined]
        return body


class MalformedRequest(TracehoundError):
    """The body cannot be read at all (not JSON, not protobuf, truncated)."""

    status = 400
    code = "malformed_request"

    def __init__(self, message: str, *, field: str | None = "body") -> None:
        super().__init__(message)
        self.field = field


class InvalidValue(TracehoundError):
    """A well-formed request carrying a value that cannot be used (a bad role, an unconfirmed delete)."""

    status = 422
    code = "invalid_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(TracehoundError):
    """The thing asked for does not exist."""

    status = 404
    code = "not_found"


class Unauthorized(TracehoundError):
    """The request carries no credential, or one that is unknown, revoked or expired."""

    status = 401
    code = "unauthorized"


class Forbidden(TracehoundError):
    """The credential is known but its role does not allow this request."""

    status = 403
    code = "forbidden"


class Conflict(TracehoundError):
    """The request clashes with what exists (a name already taken)."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PayloadTooLarge(TracehoundError):
    """A request is over a configured size limit."""

    status = 413
    code = "payload_too_large"

    def __init__(self, message: str, *, limit: int, field: str | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.field = field


class ApiError(TracehoundError):
    """An error answer from a tracehound server, as the SDK client (``tracehound.Client``) raises it."""

    def __init__(self, message: str, *, status: int, code: str = "http_error", field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field


class GuardTripped(TracehoundError):
    """A runtime guard (``tracehound.Guards``) stopped the agent; catch it to answer gracefully.

    Raised into the agent's code on purpose, when the span that would pass the limit starts; that span
    is recorded as failed with this error, and the trace is kept by tail sampling.
    """

    code = "guard_tripped"
    guard = "guard"

    def __init__(self, message: str, *, limit: int | float, value: int | float) -> None:
        super().__init__(message)
        self.limit = limit
        self.value = value


class LoopDetected(GuardTripped):
    """The same tool (with the same arguments, if so configured) was called too often in one run."""

    guard = "loop"


class StepBudgetExceeded(GuardTripped):
    """The run took more steps (spans) than its budget."""

    guard = "step_budget"


class TokenBudgetExceeded(GuardTripped):
    """The run used more tokens than its budget."""

    guard = "token_budget"

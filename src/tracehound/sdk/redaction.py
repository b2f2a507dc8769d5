"""Redaction: replace personal data and secrets by stable tokens before a span leaves the process.

    tracehound.configure(redaction=tracehound.Redaction(key="team-secret", patterns={"order": r"ORD-\\d{6}"}))
    # "mail bob@example.com"  ->  "mail <email:3f9a1c07d2>"

Built-in detectors: ``email``, ``phone``, ``credit_card`` (Luhn-checked), ``iban`` (mod-97-checked),
``api_key`` (OpenAI, Anthropic, GitHub, Slack, AWS, Google, JWT, ``Bearer`` tokens) and ``ip``
(v4 and v6, parsed). A match becomes ``<kind:hash>`` where the hash is a keyed HMAC of the value:
the same value gives the same token in every span (a conversation still reads, a reproduction still
lines up), and without the key nobody can test guesses against it. Strings are searched wherever they
are: nested in inputs, outputs and metadata (keys too), in the error text and in the span name.
Values under a sensitive key (``password``, ``authorization``...) are replaced whole.

The SDK runs the redactor on its exporter thread; the server runs the same one at ingest
(``TRACEHOUND_INGEST_REDACT``) for data from SDKs it does not control. Pure: no I/O, standard
library and msgspec only.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import msgspec

DETECTORS: Final = ("email", "api_key", "iban", "credit_card", "ip", "phone")
FIELDS: Final = ("inputs", "outputs", "error", "metadata", "name")
SENSITIVE_KEYS: Final = ("password", "passwd", "secret", "authorization", "api_key", "apikey", "access_token",
                         "refresh_token", "client_secret", "cookie", "set-cookie", "x-api-key")
TOKEN_HEX_CHARS: Final = 10

_PATTERNS: Final[dict[str, re.Pattern[str]]] = {
    "email": re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])"),
    "api_key": re.compile(
        r"(?<![\w-])(?:sk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"
        r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}"
        r"|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}"
        r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})(?![\w-])"
        r"|(?<=[Bb]earer )[A-Za-z0-9._~+/-]{20,}=*"
    ),
    "iban": re.compile(r"(?<![\w-])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![\w-])"),
    "credit_card": re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w-]|\.\d)"),
    "ip": re.compile(
        r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)"
        r"|(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])"
    ),
    # A phone number needs a phone's shape: an international prefix, a parenthesised area code, or
    # the 3-3-4 / 0x xx xx xx xx groupings. A bare run of digits (an order id, a date) is not one.
    "phone": re.compile(
        r"(?<![\w+.-])(?:\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){2,6}"
        r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"
        r"|\d{3}(?P<sep>[-. ])\d{3}(?P=sep)\d{4}"
        r"|0\d(?P<sep2>[ .-])\d{2}(?:(?P=sep2)\d{2}){3})(?![\w-]|[.-]\d)"
    ),
}


# Cheap tests that must pass before a detector's full pattern runs: most strings have no "@", no
# key prefix, no run of digits, so most detectors cost one literal search instead of a regex walk.
_DIGITS_7 = re.compile(r"\d(?:\D{0,3}\d){6}")
_HINTS: Final[dict[str, Any]] = {
    "email": lambda text: "@" in text,
    "api_key": re.compile(r"sk-|[sr]k_|gh[pousr]_|github_pat_|xox|AKIA|AIza|eyJ|earer ").search,
    "iban": re.compile(r"[A-Z]{2}\d{2}").search,
    "credit_card": _DIGITS_7.search,
    "ip": re.compile(r"\d\.\d|::|[0-9A-Fa-f]:[0-9A-Fa-f]{1,4}:").search,
    "phone": _DIGITS_7.search,
}
CACHE_ENTRIES: Final = 4096
CACHE_MAX_CHARS: Final = 4096


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number passes."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """ISO 13616: country, check digits, then mod 97 of the rearranged number is 1."""
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1
    except ValueError:
        return False


def _valid(kind: str, text: str) -> bool:
    if kind == "credit_card":
        digits = text.replace(" ", "").replace("-", "")
        return 13 <= len(digits) <= 19 and luhn_ok(digits)
    if kind == "iban":
        return iban_ok(text)
    if kind == "ip":
        try:
            ipaddress.ip_address(text)
        except ValueError:
            return False
        return True
    if kind == "phone":
        digit_count = sum(char.isdigit() for char in text)
        return 7 <= digit_count <= 15
    return True


class Redactor:
    """Finds personal data and secrets in span fields and replaces them with keyed-hash tokens.

    Args:
        key: secret for the token hashes. Set it (``TRACEHOUND_REDACTION_KEY``) so tokens match
            across processes and restarts; unset, a random key per process is used.
        detectors: built-in detectors to run (default: all of ``DETECTORS``).
        patterns: more detectors, ``{kind: regex}``; a match becomes ``<kind:hash>``.
        callback: called with every string after the detectors; returns the string to keep.
        fields: span fields to redact (default: all of ``FIELDS``).
        sensitive_keys: mapping keys whose whole value is replaced (case-insensitive).
        projects: ``{project: False}`` turns redaction off for a project (``True`` on); others use ``enabled``.
        enabled: whether projects not listed in ``projects`` are redacted.

    Raises:
        ValueError: an unknown detector or field, or a pattern that does not compile.
    """

    def __init__(
        self,
        *,
        key: str | bytes | None = None,
        detectors: Iterable[str] = DETECTORS,
        patterns: Mapping[str, str | re.Pattern[str]] | None = None,
        callback: Callable[[str], str] | None = None,
        fields: Iterable[str] = FIELDS,
        sensitive_keys: Iterable[str] = SENSITIVE_KEYS,
        projects: Mapping[str, bool] | None = None,
        enabled: bool = True,
    ) -> None:
        detectors = tuple(detectors)
        unknown = [name for name in detectors if name not in _PATTERNS]
        if unknown:
            raise ValueError(f"detectors: unknown {unknown}; choose from {', '.join(DETECTORS)}")
        self.fields = frozenset(fields)
        if not self.fields <= set(FIELDS):
            raise ValueError(f"fields: unknown {sorted(self.fields - set(FIELDS))}; choose from {', '.join(FIELDS)}")
        # User patterns run first: a user's "order id" must win over a built-in guess at a phone.
        self._rules: list[tuple[str, re.Pattern[str], bool, Any]] = []
        for kind, pattern in (patterns or {}).items():
            try:
                compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
            except re.error as exc:
                raise ValueError(f"patterns[{kind!r}]: {exc}") from None
            self._rules.append((str(kind), compiled, False, None))
        self._rules += [(name, _PATTERNS[name], name in ("credit_card", "iban", "ip", "phone"), _HINTS[name])
                        for name in DETECTORS if name in detectors]
        # The same strings recur in every span of a conversation (the message history): remember them.
        self._cache: dict[str, str] = {}
        raw_key = os.urandom(32) if key is None else key.encode() if isinstance(key, str) else bytes(key)
        self._key = raw_key
        self.callback = callback
        self.sensitive_keys = frozenset(name.lower() for name in sensitive_keys)
        self.projects = dict(projects or {})
        self.enabled = enabled

    def applies_to(self, project: str) -> bool:
        """Whether spans of ``project`` are redacted."""
        return self.projects.get(project, self.enabled)

    def _token_of_match(self, kind: str, match: re.Match[str]) -> str:
        return self.token(kind, match.group(0))

    def token(self, kind: str, value: str) -> str:
        """``<kind:hash>``: the same value and key always give the same token."""
        digest = hmac.new(self._key, f"{kind}\0{value}".encode("utf-8", "surrogatepass"), hashlib.sha256)
        return f"<{kind}:{digest.hexdigest()[:TOKEN_HEX_CHARS]}>"

    def text(self, text: str) -> str:
        """A string with every detected value replaced by its token."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        original = text
        for kind, pattern, check, hint in self._rules:
            if hint is not None and not hint(text):
                continue
            if check:
                def replace(match: re.Match[str], kind: str = kind) -> str:
                    found = match.group(0)
                    return self.token(kind, found) if _valid(kind, found) else found
                text = pattern.sub(replace, text)
            else:
                text = pattern.sub(functools.partial(self._token_of_match, kind), text)
        if self.callback is not None:
            text = self.callback(text)
        if len(original) <= CACHE_MAX_CHARS:
            cache = self._cache
            if len(cache) >= CACHE_ENTRIES:
                cache.clear()  # cheaper than LRU bookkeeping; a conversation refills it at once
            cache[original] = text
        return text

    def value(self, value: Any) -> Any:
        """A JSON-like value with every string in it (mapping keys too) redacted, recursively."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if isinstance(key, str) and key.lower() in self.sensitive_keys and item is not None:
                    out[self.text(key)] = self.token("redacted", msgspec.json.encode(item).decode()
                                                     if not isinstance(item, str) else item)
                else:
                    out[self.text(key) if isinstance(key, str) else key] = self.value(item)
            return out
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value

    def json_bytes(self, raw: bytes) -> bytes:
        """Redact a JSON document given as bytes; returns bytes (unchanged when nothing matched)."""
        try:
            decoded = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            return msgspec.json.encode(self.text(bytes(raw).decode("utf-8", "replace")))
        redacted = self.value(decoded)
        return raw if redacted == decoded else msgspec.json.encode(redacted)

    def span(self, span: Any) -> None:
        """Redact a decoded ``model.Span`` in place (the server's ingest path).

        ``inputs``/``outputs`` may be raw JSON (``msgspec.Raw``, native ingest) or Python values.
        """
        if not self.applies_to(span.project):
            return
        fields = self.fields
        for name in ("inputs", "outputs"):
            if name in fields:
                current = getattr(span, name)
                if isinstance(current, msgspec.Raw):
                    setattr(span, name, msgspec.Raw(self.json_bytes(bytes(current))))
                elif current is not None:
                    setattr(span, name, self.value(current))
        if "error" in fields and span.error:
            span.error = self.text(span.error)
        if "metadata" in fields and span.metadata:
            span.metadata = self.value(span.metadata)
        if "name" in fields:
            span.name = self.text(span.name)[:1024] or "redacted"

"""Potential secrets: found by key name and by value shape, replaced by a short fingerprint everywhere.

A redacted value reads `[redacted sha256:1a2b3c4d]`: the first 8 hex characters of the value's sha256,
enough to tell two values apart or to recognise a known one, far too few to recover it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from typing import Any

from brainloop_tui.core.readers.structures import SecretFinding

# Key names that usually hold a credential. "auth" but not "author"; "token" but not "tokenizer".
SECRET_KEY_NAME = re.compile(
    r"(?i)(pass(word|wd|phrase)?|pwd|secret|token(?!i[sz])|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|credential|auth(?!or)|signing[_-]?key|session[_-]?key|encryption[_-]?key|salt|cookie)"
)

# Keys whose random-looking values are checksums or identifiers, not credentials (lock files are full of them).
NOT_SECRET_KEY_NAME = re.compile(r"(?i)(integrity|hash|checksum|sha\d*|digest|md5|etag|commit|revision|uuid|guid|resolved)")

# Value shapes, most specific first: the first that matches names the finding. Each comes with the
# literal text every match contains: a substring test is far cheaper than the pattern, and almost
# every string holds none of them. A pattern with a `secret` group redacts only that part.
SECRET_SHAPES: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    ("PEM private key", ("-----BEGIN",),
     re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)")),
    ("AWS access key", ("AKIA", "ASIA"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("API key (sk-)", ("sk-",), re.compile(r"\bsk-[A-Za-z0-9_-]{20,}")),
    ("Stripe key", ("k_live_", "k_test_"), re.compile(r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,}")),
    ("GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}")),
    ("Slack token", ("xox",), re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Google API key", ("AIza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("JWT", ("eyJ",), re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    # Only the password of a URL with credentials: the rest (host, database) is useful.
    ("password in URL", ("://",), re.compile(r"://[^\s:/@]*:(?P<secret>[^\s/@]+)@")),
)
_MARKERS = tuple(marker for _, markers, _ in SECRET_SHAPES for marker in markers)


def may_hold_shaped_secret(text: str) -> bool:
    return any(marker in text for marker in _MARKERS)


# Long runs of base64/hex characters with a high Shannon entropy (bits per character).
_TOKEN_LIKE = re.compile(r"^[A-Za-z0-9+/=_\-.]{20,}$")
HIGH_ENTROPY_BITS = 4.0
MAX_SECRET_WARNINGS = 20
HEX_ENTROPY_BITS = 3.0
_HEX = re.compile(r"^[0-9a-fA-F]{32,}$")
_REDACTED = re.compile(r"\[redacted sha256:[0-9a-f]{8}\]")


def _normal(value: str) -> str:
    return "".join(value.split())


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def redaction(value: str) -> str:
    return f"[redacted sha256:{fingerprint(value)}]"


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(value: str) -> bool:
    """A token-like string with high entropy: a key, a hash, a password generator's output."""
    if not _TOKEN_LIKE.match(value) or value.isdigit() or _REDACTED.fullmatch(value):
        return False
    if _HEX.match(value):
        return shannon_entropy(value) >= HEX_ENTROPY_BITS
    has_classes = sum(bool(re.search(cls, value)) for cls in (r"[a-z]", r"[A-Z]", r"[0-9]")) >= 2
    return has_classes and shannon_entropy(value) >= HIGH_ENTROPY_BITS


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY_NAME.search(key))


class Redactor:
    """Collects the secrets a reader finds and hides their values.

    Every redacted value is remembered, so that `scrub` can remove it from anything else the digest
    carries (a preview, a sample row, a signature).
    """

    def __init__(self) -> None:
        self.findings: list[SecretFinding] = []
        self.values: set[str] = set()
        self._normal_values: set[str] = set()  # without whitespace: a YAML block's text is indented in the file

    def _record(self, value: str, location: str, line: int | None, reason: str) -> str:
        if value in self.values or _normal(value) in self._normal_values:
            return redaction(value)  # found before (by key name, or parsed, then again in raw text)
        self.values.add(value)
        self._normal_values.add(_normal(value))
        self.findings.append(SecretFinding(location=location, line=line, reason=reason, fingerprint=fingerprint(value)))
        return redaction(value)

    def value(self, key: str, value: str, location: str, line: int | None, *, entropy: bool = True) -> str:
        """A setting's value as it may be shown: redacted when its key or its shape says secret."""
        if not value.strip() or _REDACTED.fullmatch(value):
            return value
        if is_secret_key(key) and not is_env_reference(value):
            return self._record(value, location, line, "key name")
        shown = self.text(value, location, line)
        if shown == value and entropy and not NOT_SECRET_KEY_NAME.search(key) and looks_random(value):
            return self._record(value, location, line, "high entropy")
        return shown

    def text(self, text: str, location: str | None = None, line: int | None = None) -> str:
        """Free text with every shaped secret replaced (URL passwords: only the password part)."""
        for reason, markers, pattern in SECRET_SHAPES:
            if not any(marker in text for marker in markers):
                continue

            def replace(match: re.Match[str], reason: str = reason) -> str:
                secret = match.group("secret") if "secret" in match.re.groupindex else match.group(0)
                where = location or f"line {line_of_offset(text, match.start())}"
                marker = self._record(secret, where, line, reason)
                return match.group(0).replace(secret, marker)

            text = pattern.sub(replace, text)
        return text

    def scrub_all(self, data: dict[str, Any]) -> dict[str, Any]:
        """`scrub`, skipped when one search of the whole serialised data finds nothing to remove."""
        if not self.values and not may_hold_shaped_secret(json.dumps(data)):
            return data
        return self.scrub(data)

    def scrub(self, data: Any, where: str = "") -> Any:
        """JSON-like data with every known secret value and every shaped secret removed from its strings.

        `where` names the place in the data (`structure.functions[2].signature`) for a new finding.
        """
        if isinstance(data, str):
            for secret in self.values:
                if secret in data:
                    data = data.replace(secret, redaction(secret))
            return self.text(data, where or None)
        if isinstance(data, dict):
            return {key: self.scrub(item, f"{where}.{key}" if where else str(key)) for key, item in data.items()}
        if isinstance(data, list):
            return [self.scrub(item, f"{where}[{index}]") for index, item in enumerate(data)]
        return data

    def warnings(self) -> list[str]:
        said = [
            f"potential secret at {finding.location} ({finding.reason}): value redacted, sha256 {finding.fingerprint}"
            for finding in self.findings[:MAX_SECRET_WARNINGS]
        ]
        if len(self.findings) > MAX_SECRET_WARNINGS:
            said.append(f"… and {len(self.findings) - MAX_SECRET_WARNINGS} more potential secrets, all redacted")
        return said


_ENV_REFERENCE = re.compile(r"^\s*(\$\{[A-Za-z_]\w*[^}]*\}|\$[A-Za-z_]\w*|%\(?[A-Za-z_]\w*\)?s?%?)\s*$")


def is_env_reference(value: str) -> bool:
    """`${VAR}` and friends: pointing at the environment is the right way to keep a secret out of a file."""
    return bool(_ENV_REFERENCE.match(value))


def line_of_offset(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1

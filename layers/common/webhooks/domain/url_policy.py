"""Which endpoint URLs a webhook may have, checked without resolving DNS: HTTPS outside development.

Create and update refuse what is unsafe on its face: other schemes, userinfo, and hosts that
`address_policy` refuses (the rule send time asks too): IP literals of non-public addresses, literals in
non-standard spellings, names local by definition (hosts are IDNA-folded first). Names are resolved and
vetted again at send time.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks.catalogue import Environment
from webhooks.delivery.address_policy import ascii_host, host_refusal, names_loopback
from webhooks.domain.errors import InvalidInput

MAX_URL_LENGTH = 2048


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    allow_http_for_development: bool = False
    # Only the local stack: loopback receivers (http or https) in any environment.
    allow_loopback: bool = False

    def check(self, url: str, environment: Environment) -> None:
        """Raise InvalidInput (pointing at the url field) unless the URL may receive webhooks."""
        problem = self._problem(url, environment)
        if problem:
            raise InvalidInput(
                f"url is not allowed: {problem}",
                errors=[{"field": "url", "pointer": "/url", "message": problem}],
            )

    def _problem(self, url: str, environment: Environment) -> str | None:
        if len(url) > MAX_URL_LENGTH:
            return f"longer than {MAX_URL_LENGTH} characters"
        if any(character.isspace() or ord(character) < 32 for character in url):
            return "contains whitespace or control characters"
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on an invalid port
        except ValueError:
            return "not a valid URL"
        if parts.port == 0:
            return "has port 0, which no server listens on"
        if parts.scheme not in {"https", "http"} or not parts.netloc:
            return "must be an absolute https URL"
        if "@" in parts.netloc:
            return "must not contain a user name or password"
        try:
            host = ascii_host(parts.hostname or "")
        except ValueError:
            return "has a host that is not a valid name"
        if not host:
            return "has no host"
        if self.allow_loopback and names_loopback(host):
            return None
        if parts.scheme == "http" and not (environment is Environment.DEVELOPMENT and self.allow_http_for_development):
            return "must use https" + ("" if environment is Environment.DEVELOPMENT else f" in {environment.value}")
        return host_refusal(host, allow_loopback=self.allow_loopback)

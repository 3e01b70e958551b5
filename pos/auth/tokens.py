"""Short-lived local JWTs (PyJWT, HS256), validated in one place.

Three kinds, each with its own ``typ`` header, its own key (derived from the
signing key for that purpose only) and its own lifetime:

======== ==================== ========= ================================================
kind     ``typ``              lifetime  use
======== ==================== ========= ================================================
access   ``pos-access+jwt``   5 min     every screen and action (refreshed silently)
refresh  ``pos-refresh+jwt``  8 h       one shift; rotated on every use
override ``pos-override+jwt`` 60 s      one manager approval, bound to one action
======== ==================== ========= ================================================

PyJWT checks a claim only when it is present and never looks at ``typ``, accepts a
numeric string or ``1e20`` as ``exp``, and lets the header name keys. The wrapper
therefore: allows HS256 only; requires every claim; checks ``typ`` per kind;
insists that ``exp``/``iat``/``nbf`` are integers and that ``exp - iat`` is within
the kind's lifetime; matches ``kid`` against a strict pattern before looking a key
up; refuses ``jku``/``jwk``/``x5u``/``x5c`` headers; refuses keys under 32 bytes.
Each failure is its own exception class (kept in the audit log); the cashier sees
one message.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jwt

ALGORITHM = "HS256"
AUDIENCE = "pos-till"
LEEWAY = 30
"""Seconds of clock difference tolerated on ``exp``/``nbf``/``iat`` (one machine)."""
MIN_KEY_BYTES = 32
KID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
"""A key id, matched whole (``fullmatch``: ``$`` would also let ``"k1\\n"`` through)."""
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
MAX_TOKEN_LENGTH = 8_192
REQUIRED = ("exp", "iat", "nbf", "iss", "aud", "sub", "jti")


class TokenKind(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"
    OVERRIDE = "override"

    @property
    def typ(self) -> str:
        return f"pos-{self.value}+jwt"


LIFETIME: dict[TokenKind, int] = {
    TokenKind.ACCESS: 5 * 60,
    TokenKind.REFRESH: 8 * 60 * 60,
    TokenKind.OVERRIDE: 60,
}
"""Seconds each kind of token lives (and the most ``exp - iat`` may be)."""

USER_MESSAGE = "Session no longer valid: please log in again"
"""What the cashier is told about any token failure."""


class TokenError(Exception):
    """A token was refused. The class name goes to the audit log; never the token."""

    message = USER_MESSAGE


class Malformed(TokenError):
    """Not a JWT at all, or too long."""


class BadSignature(TokenError):
    """The signature does not match (tampered, or signed with another key)."""


class WrongAlgorithm(TokenError):
    """Anything but HS256 (``none`` included)."""


class Expired(TokenError):
    pass


class NotYetValid(TokenError):
    """``nbf`` or ``iat`` in the future beyond the leeway."""


class WrongIssuer(TokenError):
    pass


class WrongAudience(TokenError):
    pass


class MissingClaim(TokenError):
    pass


class BadClaim(TokenError):
    """A claim of the wrong type (``exp`` as a string, ``sub`` as a number ...)."""


class WrongKind(TokenError):
    """The ``typ`` header is not the kind expected (a refresh token used as access)."""


class TooLongLived(TokenError):
    """``exp - iat`` is longer than this kind of token may live."""


class UnknownKey(TokenError):
    """The ``kid`` is malformed or names no key we hold."""


class ForbiddenHeader(TokenError):
    """A header that names outside key material, or an unknown critical extension."""


class Revoked(TokenError):
    """The ``jti`` was revoked (logout), or the operator's tokens were ended."""


class ReuseDetected(TokenError):
    """A refresh token was used twice: its whole family is now revoked."""


class InactiveOperator(TokenError):
    """The operator has been deactivated."""


class WeakKey(Exception):
    """A signing key shorter than 32 bytes: the till refuses to start with it."""


@dataclass(frozen=True, slots=True)
class Keyring:
    """The signing keys: the current one signs, the others only verify until retired."""

    current: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise WeakKey("the current key id has no key")
        for kid, key in self.keys.items():
            if not KID_PATTERN.fullmatch(kid):
                raise WeakKey(f"key id {kid!r} is not a valid key id")
            if len(key) < MIN_KEY_BYTES:
                raise WeakKey(f"key {kid} is {len(key)} bytes; at least {MIN_KEY_BYTES} needed")

    def key_for(self, kid: str, kind: TokenKind) -> bytes:
        """A key for one kind of token only, derived from the stored key (HMAC)."""
        return hmac.new(self.keys[kid], f"pos-{kind.value}".encode(), hashlib.sha256).digest()


def new_key() -> bytes:
    """256 random bits."""
    return secrets.token_bytes(32)


@dataclass(frozen=True, slots=True)
class Claims:
    """A validated token's contents."""

    kind: TokenKind
    sub: str
    role: str
    scope: tuple[str, ...]
    iss: str
    iat: int
    exp: int
    jti: str
    extra: Mapping[str, Any] = field(default_factory=dict)


class TokenCodec:
    """Issues and validates the till's tokens.

    Args:
        keyring: The signing keys.
        issuer: This store and till (``pos:<store>/<till>``): the ``iss`` of the tokens
            it issues; a token's ``iss`` is checked exactly against it...
        now: Seconds since the epoch (injectable): the time tokens are issued at and
            checked against (``exp``, ``nbf`` and ``iat``, each with :data:`LEEWAY`).
        other_issuer: ...or, if given, against the other tills of the store (the tills
            of one database share its keys, so a token issued on one verifies on all):
            called with an ``iss`` that is not this till's, after the signature has
            been verified; True if it is exactly one of theirs.
    """

    def __init__(
        self,
        keyring: Keyring,
        issuer: str,
        now: Callable[[], float] = time.time,
        other_issuer: Callable[[str], bool] | None = None,
    ) -> None:
        self.keyring = keyring
        self.issuer = issuer
        self.other_issuer = other_issuer
        self._now = now
        self._pyjwt: jwt.PyJWT | None = None
        self._verified: dict[tuple[str, TokenKind, str], tuple[str, bytes, dict[str, Any]]] = {}
        """Tokens (and the issuer) whose header and signature were checked, with the key id,
        the key they were checked with and their claims: the screen and the service check
        the same token for one action, and the signature of the same bytes under the same
        key only needs checking once. Everything that depends on the moment or the keyring
        (times, lifetime, the key still being there) is checked again every time."""

    @property
    def _jwt(self) -> jwt.PyJWT:
        """PyJWT, imported at the first token rather than at start-up: its package pulls in
        urllib, http.client, email and ssl (for JWKS clients the till never uses), tens of
        milliseconds before the login screen."""
        if self._pyjwt is None:
            import jwt

            self._pyjwt = jwt.PyJWT(options={"enforce_minimum_key_length": True})
        return self._pyjwt

    def now(self) -> int:
        """Token time: the clock every token timestamp uses."""
        return int(self._now())

    def issue(
        self,
        kind: TokenKind,
        sub: str,
        role: str,
        scope: tuple[str, ...],
        extra: Mapping[str, Any] | None = None,
        expires: int | None = None,
    ) -> tuple[str, Claims]:
        """Sign a new token (``expires``: earlier than the kind's lifetime allows), dated
        by the codec's clock as it is now. Revocation never compares these dates (a
        clock that went back would make every new token look older than the change):
        the caller puts the operator's revocation counter in ``extra`` (``gen``)."""
        now = self.now()
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": sub,
            "role": role,
            "scope": " ".join(scope),
            "iat": now,
            "nbf": now,
            "exp": min(expires, now + LIFETIME[kind]) if expires else now + LIFETIME[kind],
            "jti": str(uuid.uuid4()),
            **(extra or {}),
        }
        kid = self.keyring.current
        token = self._jwt.encode(
            claims,
            self.keyring.key_for(kid, kind),
            algorithm=ALGORITHM,
            headers={"kid": kid, "typ": kind.typ},
        )
        return token, self._claims(kind, claims)

    def decode(self, token: str, kind: TokenKind) -> Claims:
        """Validate a token of ``kind``; every check in the module docstring.

        Raises:
            TokenError: a subclass naming what failed.
        """
        if (
            not isinstance(token, str)
            or len(token) > MAX_TOKEN_LENGTH
            or not token.isascii()
            or "=" in token  # base64url in a JWT is unpadded: one token, one spelling
        ):
            raise Malformed("not a token")
        seen = self._verified.get((token, kind, self.issuer))
        if seen is not None:
            seen_kid, seen_key, payload = seen
            if seen_kid in self.keyring.keys and hmac.compare_digest(
                seen_key, self.keyring.key_for(seen_kid, kind)
            ):
                return self._checked(kind, dict(payload))
            del self._verified[token, kind, self.issuer]
        import jwt  # see _jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Malformed(type(exc).__name__) from None
        if FORBIDDEN_HEADERS & set(header):
            raise ForbiddenHeader(", ".join(sorted(FORBIDDEN_HEADERS & set(header))))
        if header.get("alg") != ALGORITHM:
            raise WrongAlgorithm(str(header.get("alg")))
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() != kind.typ:
            raise WrongKind(str(typ))
        kid = header.get("kid")
        if (
            not isinstance(kid, str)
            or not KID_PATTERN.fullmatch(kid)
            or kid not in self.keyring.keys
        ):
            raise UnknownKey("kid")
        key = self.keyring.key_for(kid, kind)
        try:
            decoded = self._jwt.decode_complete(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                # several tills' issuers: checked below, exactly, once the signature is
                issuer=self.issuer if self.other_issuer is None else None,
                options={
                    "require": list(REQUIRED),
                    "strict_aud": True,
                    # the times are checked below against this codec's own clock
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.ExpiredSignatureError:
            raise Expired("exp") from None
        except jwt.ImmatureSignatureError:
            raise NotYetValid("nbf/iat") from None
        except jwt.InvalidIssuerError:
            raise WrongIssuer("iss") from None
        except jwt.InvalidAudienceError:
            raise WrongAudience("aud") from None
        except jwt.MissingRequiredClaimError as exc:
            raise MissingClaim(exc.claim) from None
        except jwt.InvalidAlgorithmError:
            raise WrongAlgorithm("alg") from None
        except jwt.InvalidSignatureError:
            raise BadSignature("signature") from None
        except (
            jwt.InvalidIssuedAtError,
            jwt.exceptions.InvalidSubjectError,
            jwt.exceptions.InvalidJTIError,
        ) as exc:
            raise BadClaim(type(exc).__name__) from None
        except jwt.PyJWTError as exc:  # crit extensions, bad padding, bad JSON ...
            raise Malformed(type(exc).__name__) from None
        payload = decoded["payload"]
        claims = self._checked(kind, payload)
        if len(self._verified) >= 8:
            self._verified.clear()
        self._verified[token, kind, self.issuer] = (kid, key, dict(payload))
        return claims

    def _checked(self, kind: TokenKind, payload: dict[str, Any]) -> Claims:
        """The claims of a token whose signature is good, after the checks of its claims."""
        iss = payload["iss"]
        if self.other_issuer is not None and (
            not isinstance(iss, str) or (iss != self.issuer and not self.other_issuer(iss))
        ):
            raise WrongIssuer("iss")
        for name in ("exp", "iat", "nbf"):
            if type(payload[name]) is not int:
                raise BadClaim(name)
        for name in ("sub", "jti", "role", "scope"):
            if not isinstance(payload.get(name), str):
                raise BadClaim(name) if name in payload else MissingClaim(name)
        self._check_times(payload)
        if payload["exp"] - payload["iat"] > LIFETIME[kind]:
            raise TooLongLived(f"{payload['exp'] - payload['iat']}s")
        if payload["nbf"] > payload["exp"]:
            raise BadClaim("nbf")
        return self._claims(kind, payload)

    def _check_times(self, payload: Mapping[str, Any]) -> None:
        """``exp``, ``nbf`` and ``iat`` against this codec's clock, as PyJWT would
        against the system's: expired once ``exp`` is ``LEEWAY`` seconds past; not yet
        valid while ``nbf`` or ``iat`` is more than ``LEEWAY`` seconds ahead.

        A clock that went back more than the leeway therefore refuses the tokens issued
        before (their ``iat`` is in the future, RFC 7519 4.1.6, SECURITY.md J-07): the
        session ends and the operator logs in again, with tokens dated by the clock as
        it is now. A clock that went forward past ``exp`` expires them: the refresh
        token (8 h) renews the pair silently, within the shift."""
        now = self.now()
        if payload["exp"] <= now - LEEWAY:
            raise Expired("exp")
        if payload["nbf"] > now + LEEWAY or payload["iat"] > now + LEEWAY:
            raise NotYetValid("nbf/iat")

    @staticmethod
    def _claims(kind: TokenKind, payload: Mapping[str, Any]) -> Claims:
        known = {"iss", "aud", "sub", "role", "scope", "iat", "nbf", "exp", "jti"}
        return Claims(
            kind=kind,
            sub=payload["sub"],
            role=payload["role"],
            scope=tuple(payload["scope"].split()),
            iss=payload["iss"],
            iat=payload["iat"],
            exp=payload["exp"],
            jti=payload["jti"],
            extra={k: v for k, v in payload.items() if k not in known},
        )


def token_hash(token: str) -> str:
    """What the database keeps of a refresh token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()

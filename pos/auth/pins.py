"""PINs: the policy for choosing one, and Argon2id hashing (argon2-cffi).

A PIN is 4 to 8 ASCII digits, compared exactly as typed (``"0007"`` is not
``"7"``). Runs like ``1234``/``9876`` (also round the dial: ``7890``, ``9012``,
``0987``), one repeated digit and the most common 4-digit PINs (keypad shapes such as
``2580``, ``1357`` and ``1397``, the years 1900 to 2029, repeated pairs such as ``1212``)
are refused; the demo operators' printed PINs are allowed on demo databases only. Anything
longer than :data:`MAX_INPUT` is refused before it reaches the hasher, so a pasted
10 kB "PIN" cannot tie the till up hashing it.

Only the Argon2id hash is stored. The default parameters are argon2-cffi's
(RFC 9106 low-memory profile: t=3, m=64 MiB, p=4), above OWASP's minimum; a hash
made with weaker parameters is upgraded at the next successful login.

The hash is peppered (issue 17 item 5, SECURITY.md H-05): Argon2id runs over
HMAC-SHA256(pepper, PIN), and the pepper is kept in the key file, never in the
database, so a copy of the database alone cannot test a single guess. The stored
string names its pepper (``$pepper=<id>$argon2id$...``), so a pepper can be replaced
(``pos keys rotate``) while hashes made with the old one still verify; they are made
again with the current pepper at the operator's next login, as are hashes from before
peppering (plain ``$argon2id$...``), which still verify.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import itertools
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import ARGON2_VERSION

MIN_LENGTH = 4
MAX_LENGTH = 8
MAX_INPUT = 16
"""Longer input is refused without hashing it."""

DUMMY_PIN = "0000000000"
"""Verified against the dummy hash to burn the time of one verification."""

_TYPE_NAMES = {Type.ID: "argon2id", Type.I: "argon2i", Type.D: "argon2d"}

PEPPER_PREFIX = "$pepper="
"""A peppered hash is ``$pepper=<id>`` followed by the Argon2 encoded hash."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Peppers:
    """The PIN peppers of the key file: ``current`` makes new hashes, every one in
    ``keys`` still verifies the hashes that name it."""

    current: str
    keys: Mapping[str, bytes]

    def __repr__(self) -> str:  # never the keys themselves
        return f"Peppers(current={self.current!r}, ids={sorted(self.keys)!r})"


class NoPepper(RuntimeError):
    """A PIN hash was to be made without the key file's pepper (a wiring mistake)."""


def split_pepper(stored: str) -> tuple[str | None, str]:
    """``(pepper id, Argon2 encoded hash)`` of a stored hash; the id is None for a hash
    made before peppering."""
    if not stored.startswith(PEPPER_PREFIX):
        return None, stored
    pepper_id, sep, rest = stored[len(PEPPER_PREFIX) :].partition("$")
    return pepper_id, "$" + rest if sep else ""


def pepper_of(stored: str | None) -> str | None:
    """The id of the pepper ``stored`` was made with (None: none, or no hash)."""
    return split_pepper(stored)[0] if stored else None


def _keyed(pepper: bytes, pin: str) -> bytes:
    return hmac.new(pepper, pin.encode("utf-8"), hashlib.sha256).digest()


class PinPolicyError(ValueError):
    """A PIN that may not be chosen; the message says why."""


def _keypad_patterns() -> frozenset[str]:
    """Shapes on a keypad (phone layout, 0 under 8), each way round: the middle column
    with the 0, odd and even digits in steps of two, the 2 x 2 squares, and the four
    corners in any order."""
    shapes = ["2580", "0246", "1357", "2468", "3579", "4680", "1245", "2356", "4578", "5689"]
    found = set(shapes) | {shape[::-1] for shape in shapes}
    found |= {"".join(p) for p in itertools.permutations("1379")}  # 1397, 7391, 1793 ...
    return frozenset(found)


KEYPAD_PATTERNS = _keypad_patterns()
COMMON_YEARS = range(1900, 2030)
"""4-digit PINs that are years (a birth year, the year it was set) are guessed first."""


def is_common_pin(pin: str) -> bool:
    """One of the 4-digit PINs an attacker tries first (NIST SP 800-63B 5.1.1.2: refuse
    "commonly-used" values): a keypad shape such as 2580, 1357 or 1397, a year from 1900
    to 2029, or a repeated pair such as 1212 or 1122."""
    if len(pin) != 4:
        return False
    if pin in KEYPAD_PATTERNS or int(pin) in COMMON_YEARS:
        return True
    return pin[:2] == pin[2:] or (pin[0] == pin[1] and pin[2] == pin[3])


def check_new_pin(pin: str, *, allow_common: bool = False) -> str:
    """Validate a PIN an operator is choosing.

    ``allow_common`` lets a common PIN through: only the demo data creator passes it, for
    the demo operators' printed PINs (2580, 7391) on a database marked as a demo.

    Raises:
        PinPolicyError: wrong length, not digits, a run, a repeated digit or one of
            the most common PINs.
    """
    if not (pin.isascii() and pin.isdigit()):
        raise PinPolicyError("a PIN is digits only")
    if not MIN_LENGTH <= len(pin) <= MAX_LENGTH:
        raise PinPolicyError(f"a PIN is {MIN_LENGTH} to {MAX_LENGTH} digits")
    if len(set(pin)) == 1:
        raise PinPolicyError("a PIN cannot be one digit repeated")
    # each step up or down by one, counted round the dial (9 is followed by 0)
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {9}):
        raise PinPolicyError("a PIN cannot be a run of digits like 1234, 9876 or 8901")
    if not allow_common and is_common_pin(pin):
        raise PinPolicyError(
            "that is one of the most common PINs (a keypad pattern like 2580 or 1397, a "
            "year like 1984, or a repeated pair like 1212): choose another"
        )
    return pin


class PinHasher:
    """Argon2id hashing and verification of PINs, peppered with the key file's pepper.

    Args:
        hasher: The argon2-cffi hasher; tests pass a cheaper one (OWASP's minimum).
        peppers: The key file's peppers (:func:`pos.auth.keys.load_peppers`); without
            them no hash can be made (:class:`NoPepper`), and only hashes from before
            peppering verify. :meth:`with_peppers` gives a hasher that has them.
    """

    def __init__(
        self, hasher: PasswordHasher | None = None, peppers: Peppers | None = None
    ) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy = dummy_hash(self._hasher)
        self._peppers = peppers

    def with_peppers(self, peppers: Peppers) -> PinHasher:
        """A hasher with the same parameters and ``peppers`` (this one is left as it is)."""
        return PinHasher(self._hasher, peppers)

    def use_peppers(self, peppers: Peppers) -> None:
        """Take the key file's peppers again (after ``pos keys rotate``)."""
        self._peppers = peppers

    @property
    def peppered(self) -> bool:
        return self._peppers is not None

    def _make(self, pin: str) -> str:
        if self._peppers is None:
            raise NoPepper("no pepper: PIN hashes are made with the key file's pepper")
        current = self._peppers.current
        inner = self._hasher.hash(_keyed(self._peppers.keys[current], pin))
        return f"{PEPPER_PREFIX}{current}{inner}"

    def hash(self, pin: str, *, allow_common: bool = False) -> str:
        """The hash of a PIN being chosen (refused unless :func:`check_new_pin` allows it;
        ``allow_common``: the demo operators' PINs only)."""
        return self._make(check_new_pin(pin, allow_common=allow_common))

    def rehash(self, pin: str) -> str:
        """A new hash, with this hasher's parameters and current pepper, of a PIN that has
        just verified against its old hash (an upgrade at login). The choosing rules are
        not applied again: a PIN chosen under older rules still logs in."""
        return self._make(pin)

    def verify(self, stored: str | None, pin: str) -> bool:
        """Whether ``pin`` matches ``stored``. A missing or damaged hash, or one whose
        pepper is not in the key file, never matches, and still costs one Argon2
        verification (no timing difference)."""
        if len(pin) > MAX_INPUT or not (pin.isascii() and pin.isdigit()):
            self._burn()
            return False
        pepper_id, encoded = split_pepper(stored) if stored else (None, self._dummy)
        secret: bytes | str = pin
        if pepper_id is not None:
            key = self._peppers.keys.get(pepper_id) if self._peppers else None
            if key is None:
                log.warning("a PIN hash names pepper %s, not in the key file", pepper_id)
                self._burn()
                return False
            secret = _keyed(key, pin)
        try:
            return self._hasher.verify(encoded, secret) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Made with other parameters, another pepper than the current one, or none (only
        when this hasher has the peppers to make the new one)."""
        pepper_id, encoded = split_pepper(stored)
        if self._peppers is not None and pepper_id != self._peppers.current:
            return True
        try:
            return self._hasher.check_needs_rehash(encoded)
        except InvalidHashError:
            return True

    def _burn(self) -> None:
        with contextlib.suppress(VerificationError):
            self._hasher.verify(self._dummy, DUMMY_PIN + "x")


def dummy_hash(hasher: PasswordHasher) -> str:
    """An encoded hash with ``hasher``'s parameters and a random salt and digest, verified
    against when the operator number is unknown (or the stored hash is missing), so that
    case costs one full Argon2 verification like a wrong PIN does.

    Verifying recomputes the digest with the parameters in the string whatever the digest
    is, so random bytes cost exactly what a real hash costs, without the half-second of
    hashing a real one at start-up; no PIN matches them (and a match is refused anyway).
    """

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii").rstrip("=")

    return (
        f"${_TYPE_NAMES[hasher.type]}$v={ARGON2_VERSION}"
        f"$m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
        f"${b64(secrets.token_bytes(hasher.salt_len))}${b64(secrets.token_bytes(hasher.hash_len))}"
    )


def fast_test_hasher() -> PinHasher:
    """OWASP's minimum Argon2id parameters (m=19 MiB, t=2, p=1) and a random pepper of
    its own: for tests only (the till, given it, uses its key file's peppers instead)."""
    return PinHasher(
        PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1),
        Peppers("test", {"test": secrets.token_bytes(32)}),
    )

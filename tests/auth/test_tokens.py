"""Every way a token can be wrong is refused, each with its own error."""

from __future__ import annotations

import base64
import json
import time
from importlib.metadata import version
from typing import Any

import jwt
import pytest

from pos.auth import tokens as t
from pos.auth.tokens import Keyring, TokenCodec, TokenKind

KEY = b"k" * 32
ISSUER = "pos:My Shop/Till 1"


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec(Keyring("k1", {"k1": KEY}), ISSUER)


def forge(
    claims: dict[str, Any],
    *,
    kind: TokenKind = TokenKind.ACCESS,
    key: bytes | None = None,
    headers: dict[str, Any] | None = None,
    algorithm: str = "HS256",
) -> str:
    """Sign arbitrary claims the way an attacker with (or without) the key would."""
    signing = key if key is not None else Keyring("k1", {"k1": KEY}).key_for("k1", kind)
    return jwt.encode(
        claims,
        signing,
        algorithm=algorithm,
        headers={"kid": "k1", "typ": kind.typ, **(headers or {})},
    )


def forge_raw(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    """HS256 by hand, for tokens PyJWT itself refuses to make."""
    import hashlib
    import hmac

    signing_input = f"{b64(header)}.{b64(payload)}"
    sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


def good_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": t.AUDIENCE,
        "sub": "1001",
        "role": "cashier",
        "scope": "sale",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "j-1",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not ...}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_pyjwt_is_new_enough() -> None:
    major, minor = (int(p) for p in version("pyjwt").split(".")[:2])
    assert (major, minor) >= (2, 13)


def test_round_trip(codec: TokenCodec) -> None:
    token, issued = codec.issue(TokenKind.ACCESS, "1001", "cashier", ("sale", "void"))
    claims = codec.decode(token, TokenKind.ACCESS)
    assert claims == issued
    assert claims.scope == ("sale", "void")
    assert claims.exp - claims.iat == 300
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "kid": "k1", "typ": "pos-access+jwt"}


def test_forged_good_token_is_accepted(codec: TokenCodec) -> None:
    """The forge helper makes valid tokens, so the refusals below are real."""
    assert codec.decode(forge(good_claims()), TokenKind.ACCESS).sub == "1001"


@pytest.mark.parametrize(
    ("token_maker", "error"),
    [
        (lambda: forge(good_claims(), key=b"x" * 32), t.BadSignature),
        (lambda: forge(good_claims(exp=int(time.time()) - 60)), t.Expired),
        (lambda: forge(good_claims(nbf=int(time.time()) + 120)), t.NotYetValid),
        (lambda: forge(good_claims(iat=int(time.time()) + 120)), t.NotYetValid),
        (lambda: forge(good_claims(iss="pos:My Shop/Till")), t.WrongIssuer),
        (lambda: forge(good_claims(iss="pos:My Shop/Till 10")), t.WrongIssuer),
        (lambda: forge(good_claims(aud="someone-else")), t.WrongAudience),
        (lambda: forge(good_claims(aud=[t.AUDIENCE, "x"])), t.WrongAudience),
        (lambda: forge(good_claims(exp=str(int(time.time()) + 60))), t.BadClaim),
        (lambda: forge(good_claims(exp=1e20)), t.BadClaim),
        (lambda: forge(good_claims(iat=float(int(time.time())))), t.BadClaim),
        (lambda: forge(good_claims(sub=1001)), t.BadClaim),
        (lambda: forge(good_claims(exp=int(time.time()) + 3600)), t.TooLongLived),
        (lambda: forge(good_claims(), kind=TokenKind.REFRESH), t.WrongKind),
        (lambda: forge(good_claims(), headers={"typ": "JWT"}), t.WrongKind),
        (lambda: forge(good_claims(), headers={"kid": "../../dev/null"}), t.UnknownKey),
        (lambda: forge(good_claims(), headers={"kid": "' OR 1=1--"}), t.UnknownKey),
        (lambda: forge(good_claims(), headers={"kid": "k2"}), t.UnknownKey),
        (
            lambda: forge_raw(
                {"alg": "HS256", "typ": "pos-access+jwt", "kid": 123}, good_claims(), KEY
            ),
            t.Malformed,
        ),  # PyJWT refuses a non-string kid itself
        (lambda: forge(good_claims(), headers={"jku": "https://evil/keys"}), t.ForbiddenHeader),
        (lambda: forge(good_claims(), headers={"jwk": {"kty": "oct"}}), t.ForbiddenHeader),
        (lambda: forge(good_claims(), headers={"x5u": "https://evil/cert.pem"}), t.ForbiddenHeader),
        (
            lambda: forge(good_claims(), headers={"x5c": ["MIIBszCCAVmgAwIBAgIU"]}),
            t.ForbiddenHeader,
        ),
        (lambda: forge(good_claims(), headers={"crit": ["exp-ext"]}), t.Malformed),
        (lambda: forge(good_claims(), key=b"k" * 64, algorithm="HS512"), t.WrongAlgorithm),
        (
            lambda: (
                b64({"alg": "none", "typ": "pos-access+jwt", "kid": "k1"})
                + "."
                + b64(good_claims())
                + "."
            ),
            t.WrongAlgorithm,
        ),
        (lambda: "abc", t.Malformed),
        (lambda: "a.b.c", t.Malformed),
        (lambda: "x" * 10_000, t.Malformed),
        (lambda: forge(good_claims()) + "\n", t.Malformed),
        (lambda: "ëyJ.é.ï", t.Malformed),
    ],
)
def test_refused(codec: TokenCodec, token_maker: Any, error: type[t.TokenError]) -> None:
    with pytest.raises(error):
        codec.decode(token_maker(), TokenKind.ACCESS)


@pytest.mark.parametrize("claim", t.REQUIRED)
def test_every_claim_is_required(codec: TokenCodec, claim: str) -> None:
    with pytest.raises(t.MissingClaim):
        codec.decode(forge(good_claims(**{claim: ...})), TokenKind.ACCESS)


def test_tampered_payload_fails_the_signature(codec: TokenCodec) -> None:
    token, _ = codec.issue(TokenKind.ACCESS, "1001", "cashier", ("sale",))
    head, _payload, sig = token.split(".")
    promoted = b64(good_claims(role="manager", scope="sale void refund"))
    with pytest.raises(t.BadSignature):
        codec.decode(f"{head}.{promoted}.{sig}", TokenKind.ACCESS)


def test_a_public_key_used_as_hmac_secret_is_refused(codec: TokenCodec) -> None:
    # key confusion (CVE-2022-29217): a token "signed" with a PEM as the HMAC secret
    pem = (
        b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
        b"-----END PUBLIC KEY-----\n"
    )
    header = {"alg": "HS256", "typ": "pos-access+jwt", "kid": "k1"}
    with pytest.raises(t.BadSignature):
        codec.decode(forge_raw(header, good_claims(), pem), TokenKind.ACCESS)


def test_each_kind_has_its_own_key(codec: TokenCodec) -> None:
    token, _ = codec.issue(TokenKind.REFRESH, "1001", "cashier", ("sale",))
    # even with its typ rewritten to "access", a refresh token does not verify as one
    head = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    head["typ"] = TokenKind.ACCESS.typ
    relabelled = b64(head) + "." + ".".join(token.split(".")[1:])
    with pytest.raises(t.BadSignature):
        codec.decode(relabelled, TokenKind.ACCESS)


def test_short_keys_are_refused() -> None:
    with pytest.raises(t.WeakKey):
        Keyring("k1", {"k1": b"short"})
    with pytest.raises(t.WeakKey):
        Keyring("bad kid!", {"bad kid!": KEY})


def test_a_key_id_with_a_trailing_newline_is_refused() -> None:
    # ``^...$`` with ``match`` lets "k1\n" through ($ matches before a final newline)
    with pytest.raises(t.WeakKey, match="not a valid key id"):
        Keyring("k1\n", {"k1\n": KEY})


def test_a_token_whose_kid_has_a_trailing_newline_is_refused_before_the_lookup() -> None:
    # a keyring that holds such a key id (bypassing its own check) shows the header check
    # alone refuses it: the key is never looked up
    keyring = object.__new__(Keyring)
    object.__setattr__(keyring, "current", "k1\n")
    object.__setattr__(keyring, "keys", {"k1\n": KEY})
    codec = TokenCodec(keyring, ISSUER)
    token = forge(
        good_claims(), key=keyring.key_for("k1\n", TokenKind.ACCESS), headers={"kid": "k1\n"}
    )
    with pytest.raises(t.UnknownKey):
        codec.decode(token, TokenKind.ACCESS)


def test_leeway_is_thirty_seconds(codec: TokenCodec) -> None:
    now = int(time.time())
    ok = forge(good_claims(iat=now - 300, nbf=now - 300, exp=now - 10))
    assert codec.decode(ok, TokenKind.ACCESS)
    late = forge(good_claims(iat=now - 340, nbf=now - 340, exp=now - 40))
    with pytest.raises(t.Expired):
        codec.decode(late, TokenKind.ACCESS)


def test_old_keys_verify_until_removed() -> None:
    old = TokenCodec(Keyring("k1", {"k1": KEY}), ISSUER)
    token, _ = old.issue(TokenKind.ACCESS, "1001", "cashier", ("sale",))
    rotated = TokenCodec(Keyring("k2", {"k1": KEY, "k2": b"n" * 32}), ISSUER)
    assert rotated.decode(token, TokenKind.ACCESS).sub == "1001"
    assert (
        jwt.get_unverified_header(rotated.issue(TokenKind.ACCESS, "1", "c", ())[0])["kid"] == "k2"
    )
    pruned = TokenCodec(Keyring("k2", {"k2": b"n" * 32}), ISSUER)
    with pytest.raises(t.UnknownKey):
        pruned.decode(token, TokenKind.ACCESS)


def test_a_token_checked_before_is_still_checked_against_the_clock_and_the_keys() -> None:
    # the signature of a token already checked is not checked again (the screen and
    # the service check the same token for one action), but its times, its kind, the
    # issuer and the key it was signed with are, every time
    now = [float(time.time())]
    codec = TokenCodec(Keyring("k1", {"k1": KEY}), ISSUER, now=lambda: now[0])
    token, _ = codec.issue(TokenKind.ACCESS, "1001", "cashier", ("sale",))
    assert codec.decode(token, TokenKind.ACCESS).sub == "1001"
    assert codec.decode(token, TokenKind.ACCESS).sub == "1001"
    with pytest.raises(t.WrongKind):
        codec.decode(token, TokenKind.REFRESH)
    now[0] += t.LIFETIME[TokenKind.ACCESS] + t.LEEWAY + 1
    with pytest.raises(t.Expired):
        codec.decode(token, TokenKind.ACCESS)
    now[0] -= t.LIFETIME[TokenKind.ACCESS] + t.LEEWAY + 1
    codec.keyring = Keyring("k1", {"k1": b"n" * 32})  # the same key id, another key
    with pytest.raises(t.BadSignature):
        codec.decode(token, TokenKind.ACCESS)
    codec.keyring = Keyring("k2", {"k2": b"n" * 32})
    with pytest.raises(t.UnknownKey):
        codec.decode(token, TokenKind.ACCESS)
    codec.keyring = Keyring("k1", {"k1": KEY})
    codec.issuer = "pos:another/till"
    with pytest.raises(t.WrongIssuer):
        codec.decode(token, TokenKind.ACCESS)


def test_no_verify_signature_false_anywhere() -> None:
    from pathlib import Path

    source = "\n".join(p.read_text() for p in Path("pos").rglob("*.py"))
    assert '"verify_signature": False' not in source
    assert 'algorithms=["none"' not in source.lower()

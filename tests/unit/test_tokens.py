"""Tokens: what verifies, and every forgery refused with the rule it breaks (no I/O but a temp key folder)."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.intake import tokens
from services.intake.tokens import Principal, SigningKey, TokenRefused, Verifier

APPLICATION = uuid.UUID("6f1c1a53-3f3e-4b77-9d44-0d6c2a5b1e2f")


@pytest.fixture(scope="module")
def key(tmp_path_factory) -> SigningKey:
    folder = tmp_path_factory.mktemp("keys")
    tokens.ensure_keys(folder)
    return tokens.load_signing_key(folder)


@pytest.fixture(scope="module")
def verifier(key) -> Verifier:
    return Verifier(key.public, key.kid)


def verify(verifier: Verifier, token: str) -> Principal:
    return asyncio.run(verifier.verify(token))


def refused(verifier: Verifier, token: str) -> str:
    with pytest.raises(TokenRefused) as caught:
        verify(verifier, token)
    assert str(caught.value)  # a message a person can read
    return caught.value.reason


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parts(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    pad = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    return json.loads(pad(header)), json.loads(pad(payload)), signature


def assemble(header: dict, payload: dict, signature: str) -> str:
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), signature])


def test_a_staff_token_says_who_and_what_role(key, verifier):
    principal = verify(verifier, tokens.mint(key, "caseworker", "caseworker-li", 3600))
    assert (principal.subject, principal.role, principal.application_id) == ("caseworker-li", "caseworker", None)
    assert principal.expires_at > time.time() + 3500


def test_a_citizen_token_names_its_application(key, verifier):
    principal = verify(verifier, tokens.mint(key, "citizen", "c", tokens.CITIZEN_TTL_SECONDS, application_id=APPLICATION))
    assert principal.role == "citizen" and principal.application_id == APPLICATION
    assert principal.expires_at - time.time() > 179 * 86_400


def test_the_key_is_made_once_and_private(tmp_path):
    first = tokens.ensure_keys(tmp_path / "keys")
    content = first.read_bytes()
    assert tokens.ensure_keys(tmp_path / "keys").read_bytes() == content
    assert first.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    assert list((tmp_path / "keys").iterdir()) == [first]  # no draft left behind


def test_changed_claims_break_the_signature(key, verifier):
    header, payload, signature = parts(tokens.mint(key, "caseworker", "x", 3600))
    assert refused(verifier, assemble(header, {**payload, "role": "operator"}, signature)) == "signature"


def test_a_signature_by_another_key_is_refused(key, verifier):
    other = SigningKey(Ed25519PrivateKey.generate(), key.kid)  # claims our kid, signed with another key
    assert refused(verifier, tokens.mint(other, "operator", "x", 3600)) == "signature"


def test_alg_none_is_refused(key, verifier):
    header, payload, _ = parts(tokens.mint(key, "operator", "x", 3600))
    assert refused(verifier, assemble({**header, "alg": "none"}, payload, "")) == "algorithm"


def test_hs256_with_the_public_key_as_secret_is_refused(key, verifier):
    """The classic key-confusion forgery: an HMAC whose secret is the (public) verification key."""
    _, payload, _ = parts(tokens.mint(key, "operator", "x", 3600))
    public_pem = key.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    body = b64(json.dumps(payload).encode())
    signature = b64(hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest())
    assert refused(verifier, f"{head}.{body}.{signature}") == "algorithm"


def test_es256_on_our_eddsa_key_is_refused(key, verifier):
    """An algorithm swap: a valid ES256 token (another key) presented under our kid."""
    ec_key = ec.generate_private_key(ec.SECP256R1())
    claims = {"iss": "jointaid", "aud": "jointaid", "sub": "x", "role": "operator", "iat": int(time.time()),
              "exp": int(time.time()) + 3600}
    token = jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": key.kid})
    assert refused(verifier, token) == "algorithm"


def test_expired_and_not_yet_valid(key, verifier):
    assert refused(verifier, tokens.mint(key, "operator", "x", 60, now=time.time() - 3600)) == "expired"
    assert refused(verifier, tokens.mint(key, "operator", "x", 7200, now=time.time() + 3600)) == "not_yet_valid"


def test_within_the_clock_leeway_still_valid(key, verifier):
    assert verify(verifier, tokens.mint(key, "operator", "x", 60, now=time.time() - 60 - 10)).role == "operator"


def test_wrong_audience(key, verifier):
    assert refused(verifier, tokens.mint(key, "operator", "x", 3600, audience="another-system")) == "audience"


def test_unknown_key_without_a_provider(key, verifier):
    stranger = SigningKey(Ed25519PrivateKey.generate(), "someone-elses-kid")
    assert refused(verifier, tokens.mint(stranger, "operator", "x", 3600)) == "unknown_key"


def test_claims_that_do_not_make_a_caller(key, verifier):
    now = int(time.time())
    base = {"iss": "jointaid", "aud": "jointaid", "sub": "x", "iat": now, "exp": now + 3600}
    sign = lambda claims: jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid})  # noqa: E731
    assert refused(verifier, sign({**base, "role": "king"})) == "claims"
    assert refused(verifier, sign({**base, "role": "citizen"})) == "claims"  # no application named
    assert refused(verifier, sign({**base, "role": "citizen", "application_id": "not-a-uuid"})) == "claims"
    assert refused(verifier, sign({k: v for k, v in {**base, "role": "operator"}.items() if k != "exp"})) == "claims"
    assert refused(verifier, sign({**base, "role": "operator", "iss": "elsewhere"})) == "issuer"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30.", "x" * 100_000])
def test_garbage(verifier, garbage):
    assert refused(verifier, garbage) in ("malformed", "too_long", "algorithm", "signature")


def test_provider_tokens_take_their_role_from_realm_roles():
    claims = {"sub": "u1", "exp": 1, "realm_access": {"roles": ["offline_access", "approver"]}}
    assert tokens.principal_of(claims, own=False).role == "approver"
    with pytest.raises(TokenRefused):  # a provider cannot mint a citizen's own token
        tokens.principal_of({"sub": "u1", "exp": 1, "role": "citizen", "application_id": str(APPLICATION)}, own=False)


def test_mint_refuses_what_it_cannot_mean(key):
    with pytest.raises(ValueError):
        tokens.mint(key, "king", "x", 60)
    with pytest.raises(ValueError):
        tokens.mint(key, "citizen", "x", 60)


def test_the_citizen_token_of_an_application_is_the_same_every_time(key, verifier):
    """So that a replayed submission (same Idempotency-Key) answers exactly the first answer."""
    submitted = time.time() - 10
    first = tokens.citizen_token(key, APPLICATION, submitted)
    assert tokens.citizen_token(key, APPLICATION, submitted) == first
    assert verify(verifier, first).application_id == APPLICATION
    assert tokens.citizen_token(key, uuid.uuid4(), submitted) != first


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def counting_decodes(verifier: Verifier) -> list:
    """Each signature check the verifier makes, recorded."""
    calls = []
    decode = verifier._decode

    def counted(*args, **kwargs):
        calls.append(args[0])
        return decode(*args, **kwargs)

    verifier._decode = counted
    return calls


def test_a_token_seen_before_is_not_checked_again(key):
    verifier = Verifier(key.public, key.kid)
    decodes = counting_decodes(verifier)
    token = tokens.mint(key, "caseworker", "caseworker-li", 3600)
    first, again = verify(verifier, token), verify(verifier, token)
    assert first == again and len(decodes) == 1


def test_a_remembered_token_still_expires(key):
    clock = Clock()
    verifier = Verifier(key.public, key.kid, clock=clock)
    token = tokens.mint(key, "operator", "x", 120, now=clock.now)
    assert verify(verifier, token).role == "operator"
    clock.now += 120 + tokens.CLOCK_LEEWAY_SECONDS + 1  # still within REMEMBER_SECONDS
    assert refused(verifier, token) == "expired"


def test_remembered_tokens_are_checked_again_after_a_while_and_bounded(key):
    clock = Clock()
    verifier = Verifier(key.public, key.kid, clock=clock, remember=2)
    decodes = counting_decodes(verifier)
    a, b, c = (tokens.mint(key, "operator", name, 86_400, now=clock.now) for name in "abc")
    for token in (a, b, c, c, b):  # c pushed a out; b and c remembered
        verify(verifier, token)
    assert decodes == [a, b, c]
    verify(verifier, a)
    assert decodes == [a, b, c, a]
    clock.now += tokens.REMEMBER_SECONDS + 1  # a provider's key may have been withdrawn meanwhile
    verify(verifier, a)
    assert decodes == [a, b, c, a, a]


def test_a_refused_token_is_not_remembered(key):
    verifier = Verifier(key.public, key.kid)
    decodes = counting_decodes(verifier)
    header, payload, signature = parts(tokens.mint(key, "operator", "x", 3600))
    forged = assemble(header, {**payload, "role": "admin"}, signature)
    assert refused(verifier, forged) == refused(verifier, forged) == "signature"
    assert len(decodes) == 2

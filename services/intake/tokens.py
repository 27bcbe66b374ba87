"""Signed tokens (contract: DESIGN.md "Who may do what").

Intake holds one Ed25519 key pair in its keys folder (`jointaid up`: <data-dir>/keys, 0600), made once.
It signs every citizen's own token with it (scoped to one application) and, in embedded mode, the
staff tokens `jointaid token` prints. In production staff tokens come from an OIDC provider: with
JOINTAID_JWKS_URL set, a token whose `kid` is not intake's own is checked against that JWKS.

Only asymmetric algorithms are accepted, each pinned to its key: intake's own key verifies EdDSA and
nothing else, a JWKS key only the algorithm of its own type (ES256, EdDSA). So `alg: none`, HS256 with
the public key as secret, or any algorithm swap is refused before a signature is even computed.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ROLES = ("citizen", "caseworker", "approver", "operator", "department")
STAFF_ROLES = tuple(role for role in ROLES if role != "citizen")
ISSUER = "jointaid"
CITIZEN_TTL_SECONDS = 180 * 86_400
PRIVATE_KEY_FILE = "signing-key.pem"
ACCEPTED_ALGORITHMS = ("EdDSA", "ES256")
MAX_TOKEN_BYTES = 8_192  # a real JWT is well under 2 KB; bounds what a header makes us parse
CLOCK_LEEWAY_SECONDS = 30
# A token verified once is remembered this long (its expiry still checked on every use), so a client's
# session token is not signature-checked on every request: the EdDSA check was ~7% of intake's CPU under load.
# Bounded by the identity provider's key lifespan below, so a withdrawn provider key stops working as soon.
REMEMBER_SECONDS = 300
REMEMBERED_TOKENS = 4096


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject and role; a citizen token names its one application."""
    subject: str
    role: str
    application_id: uuid.UUID | None = None
    expires_at: int = 0  # the token's exp (epoch seconds)


class TokenRefused(Exception):
    """A token that does not prove anything. `reason` is a short label (metrics), the message is for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def ensure_keys(keys_dir: str | os.PathLike) -> Path:
    """Create the key pair once (0600 file in a 0700 folder); concurrent callers end with the same key."""
    folder = Path(keys_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / PRIVATE_KEY_FILE
    if path.exists():
        return path
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    draft = folder / f".{PRIVATE_KEY_FILE}.{os.getpid()}.{uuid.uuid4().hex}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    try:
        os.link(draft, path)  # atomic, and fails if another process made the key first: theirs wins
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    kid: str

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()


def load_signing_key(keys_dir: str | os.PathLike) -> SigningKey:
    path = Path(keys_dir) / PRIVATE_KEY_FILE
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise SystemExit(f"{path} is not an Ed25519 private key")
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key()))
    return SigningKey(private, kid=_thumbprint(jwk))


def _thumbprint(jwk: dict) -> str:
    """RFC 7638 key id: sha256 of the canonical public members, base64url."""
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def mint(key: SigningKey, role: str, subject: str, ttl_seconds: int, *, application_id: uuid.UUID | None = None,
         audience: str = "jointaid", now: float | None = None, jti: str | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "citizen" and application_id is None:
        raise ValueError("a citizen token is scoped to one application: give its id")
    issued = int(time.time() if now is None else now)
    claims = {"iss": ISSUER, "aud": audience, "sub": subject, "role": role, "iat": issued, "nbf": issued,
              "exp": issued + int(ttl_seconds), "jti": jti or uuid.uuid4().hex}
    if application_id is not None:
        claims["application_id"] = str(application_id)
    return jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid})


def citizen_token(key: SigningKey, application_id: uuid.UUID, submitted_at: float, audience: str = "jointaid") -> str:
    """The citizen's own token, valid 180 days from submission. Every claim derives from the application and
    Ed25519 signatures are deterministic, so a replayed submission (Idempotency-Key) answers the same token."""
    return mint(key, "citizen", f"citizen:{application_id}", CITIZEN_TTL_SECONDS, application_id=application_id,
                audience=audience, now=submitted_at, jti=f"citizen:{application_id}")


class Verifier:
    """Checks a bearer token and says who it is for; raises TokenRefused with the rule that failed."""

    def __init__(self, own: Ed25519PublicKey, own_kid: str, audience: str = "jointaid",
                 jwks_url: str | None = None, oidc_issuer: str | None = None, *,
                 clock: Callable[[], float] = time.time, remember: int = REMEMBERED_TOKENS) -> None:
        self.own, self.own_kid, self.audience = own, own_kid, audience
        self.oidc_issuer = oidc_issuer
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=REMEMBER_SECONDS, timeout=5) if jwks_url else None
        self.clock, self.remember = clock, remember
        self._remembered: OrderedDict[str, tuple[Principal, float]] = OrderedDict()  # token -> (caller, verified at)

    async def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_BYTES:
            raise TokenRefused("too_long", f"the token is longer than {MAX_TOKEN_BYTES} bytes")
        now = self.clock()
        if (seen := self._remembered.get(token)) is not None and now - seen[1] < REMEMBER_SECONDS:
            if now > seen[0].expires_at + CLOCK_LEEWAY_SECONDS:
                raise TokenRefused("expired", "the token has expired")
            self._remembered.move_to_end(token)
            return seen[0]
        principal = await self._verified(token)
        self._remembered[token] = (principal, now)
        self._remembered.move_to_end(token)
        if len(self._remembered) > self.remember:
            self._remembered.popitem(last=False)
        return principal

    async def _verified(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise TokenRefused("malformed", "the token is not a JWT (header.payload.signature)") from None
        algorithm = header.get("alg")
        if algorithm not in ACCEPTED_ALGORITHMS:
            raise TokenRefused("algorithm", f"tokens must be signed with {' or '.join(ACCEPTED_ALGORITHMS)}, not {algorithm!r}")
        kid = header.get("kid")
        if kid in (None, self.own_kid):
            key, expected_algorithm, issuer = self.own, "EdDSA", ISSUER
        elif self.jwks is not None:
            key, expected_algorithm, issuer = await self._provider_key(kid)
        else:
            raise TokenRefused("unknown_key", "the token was signed by a key this system does not know")
        if algorithm != expected_algorithm:
            raise TokenRefused("algorithm", f"this key signs {expected_algorithm} tokens, not {algorithm}")
        claims = self._decode(token, key, expected_algorithm, issuer)
        return principal_of(claims, own=issuer == ISSUER)

    async def _provider_key(self, kid: str):
        try:
            found = await asyncio.to_thread(self.jwks.get_signing_key, kid)  # cached; fetches on an unknown kid
        except jwt.PyJWKClientError as exc:
            raise TokenRefused("unknown_key", f"the identity provider has no key {kid!r}: {exc}") from None
        if found.algorithm_name not in ACCEPTED_ALGORITHMS:
            raise TokenRefused("algorithm", f"the provider's key {kid!r} is not an EdDSA or ES256 key")
        return found.key, found.algorithm_name, self.oidc_issuer

    def _decode(self, token: str, key, algorithm: str, issuer: str | None) -> dict:
        try:
            return jwt.decode(token, key, algorithms=[algorithm], audience=self.audience, issuer=issuer,
                              leeway=CLOCK_LEEWAY_SECONDS, options={"require": ["exp", "iat", "sub", "aud"],
                                                                    "verify_iss": issuer is not None})
        except jwt.ExpiredSignatureError:
            raise TokenRefused("expired", "the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenRefused("not_yet_valid", "the token is not valid yet (nbf/iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise TokenRefused("audience", f"the token is not meant for this system (aud must be {self.audience!r})") from None
        except jwt.InvalidIssuerError:
            raise TokenRefused("issuer", "the token's issuer is not trusted") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRefused("claims", f"the token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise TokenRefused("signature", "the token's signature does not match its contents") from None
        except jwt.InvalidTokenError as exc:
            raise TokenRefused("malformed", f"the token is not valid: {exc}") from None


def principal_of(claims: dict, *, own: bool) -> Principal:
    """The caller from verified claims: a `role` claim, or an OIDC provider's realm roles (staff only)."""
    subject, expires_at = str(claims["sub"]), int(claims["exp"])
    role = claims.get("role")
    if role is None and not own:
        realm_roles = (claims.get("realm_access") or {}).get("roles") or claims.get("roles") or []
        role = next((r for r in STAFF_ROLES if r in realm_roles), None)
    if role not in ROLES:
        raise TokenRefused("claims", f"the token carries no known role ({', '.join(ROLES)})")
    if role != "citizen":
        return Principal(subject, role, expires_at=expires_at)
    if not own:
        raise TokenRefused("claims", "citizen tokens are issued by this system only")
    try:
        return Principal(subject, role, uuid.UUID(str(claims["application_id"])), expires_at)
    except (KeyError, ValueError):
        raise TokenRefused("claims", "a citizen token must name its application") from None

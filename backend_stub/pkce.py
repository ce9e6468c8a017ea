"""PKCE check with the platform's hex S256, and RFC 7636 base64url when allowed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

VERIFIER_RE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def challenge_hex(verifier: str) -> str:
    return hashlib.sha256(verifier.encode()).hexdigest()


def challenge_b64(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def verify(verifier: str, challenge: str, accept_base64url: bool) -> bool:
    if not VERIFIER_RE.fullmatch(verifier):
        return False
    if hmac.compare_digest(challenge_hex(verifier).encode(), challenge.lower().encode()):
        return True
    return accept_base64url and hmac.compare_digest(challenge_b64(verifier).encode(), challenge.encode())

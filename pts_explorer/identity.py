"""Who is using the app: a signed-in user's identity, or the one local user of a server without sign-in.

Shared by the sign-in layer (pts_explorer/ui, which builds an Identity from the OpenID Connect token's
claims), the permissions (which studies and rights an Identity has) and the audit trail (who did what).
The core takes an Identity as a plain value, so it is testable without Streamlit or a provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """A user as the app knows them.

    user: a stable identifier (the token's email, else its subject); "local" without sign-in.
    name: what the pages show (the token's name, else the user).
    groups: the token's group claims, as the permissions file names groups.
    signed_in: True only for a user the OpenID Connect provider signed in.
    """

    user: str
    name: str
    groups: tuple[str, ...] = ()
    signed_in: bool = False


# The single user of a server that has no sign-in configured (the app as a local tool).
LOCAL = Identity(user="local", name="Local user")


def from_claims(
    claims: Mapping[str, object], user_claim: str = "email", name_claim: str = "name", groups_claim: str = "groups"
) -> Identity | None:
    """The signed-in user of an ID token's claims: the user from `user_claim` (else the token's subject),
    the name from `name_claim` (else the user), the groups from `groups_claim` (a list of names, or one
    name); None when the token names nobody (neither claim holds text)."""
    user = _text(claims.get(user_claim)) or _text(claims.get("sub"))
    if not user:
        return None
    raw = claims.get(groups_claim)
    listed = [raw] if isinstance(raw, str) else raw if isinstance(raw, list | tuple) else []
    groups = tuple(dict.fromkeys(g for g in (_text(x) for x in listed) if g))
    return Identity(user=user, name=_text(claims.get(name_claim)) or user, groups=groups, signed_in=True)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""

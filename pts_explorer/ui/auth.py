"""Sign-in with OpenID Connect through Streamlit's own st.login / st.user / st.logout.

Configured by an [auth] section in Streamlit's secrets (README "Sign-in": redirect_uri, cookie_secret,
and the provider's client_id, client_secret, server_metadata_url, either in [auth] itself or in one
[auth.<provider>] table). Without it the app is the local single-user tool it always was: every run
is the LOCAL identity and nothing here draws. With it, every page (deep links, presenter mode, the
follow and speaker views, exports) shows only the sign-in screen until the provider signed the user
in (app.py calls `gate` before any page runs); the sidebar then names the user and offers sign-out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pandas as pd
import streamlit as st

from pts_explorer import access, audit, config, escape, settings, workspace
from pts_explorer.identity import LOCAL, Identity, from_claims
from pts_explorer.ui import cookies

# Who a session is before the provider signed them in: no user the permissions file can name.
NOBODY = Identity(user="", name="Not signed in")


def _auth_section() -> Mapping[str, object] | None:
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        section = st.secrets.get("auth")
    except Exception:  # a secrets file Streamlit cannot parse: Streamlit reports it on the page itself
        return None
    return section if isinstance(section, Mapping) else None


def configured() -> bool:
    """True when the secrets hold an [auth] section: the app then signs users in."""
    return _auth_section() is not None


def provider() -> str | None:
    """The provider st.login is called with: None for the settings in [auth] itself, else the name of the
    one [auth.<name>] table (the first, by name, when there are several)."""
    section = _auth_section() or {}
    if "client_id" in section:
        return None
    named = sorted(name for name, value in section.items() if isinstance(value, Mapping))
    return named[0] if named else None


def _claims() -> Mapping[str, object]:
    return st.user.to_dict()


def current_identity() -> Identity:
    """Who this session is: LOCAL without sign-in configured; else the signed-in user from the token's
    claims ([sign_in] of pts_explorer.toml names them), or NOBODY before the user signed in."""
    if not configured():
        return LOCAL
    if not st.user.is_logged_in:
        return NOBODY
    claims = config.sign_in_claims()
    return from_claims(_claims(), claims["user_claim"], claims["name_claim"], claims["groups_claim"]) or NOBODY


@st.cache_resource(max_entries=4, show_spinner=False)
def _permissions(file: str, version: float) -> access.Permissions | access.PermissionsError | None:
    """The permissions file's grants, read once per version of the file (its modification time)."""
    try:
        return access.load(Path(file))
    except access.PermissionsError as problem:
        return problem


def permissions() -> access.Permissions | access.PermissionsError | None:
    """The permissions file's grants; None without a file; the problem of a file that cannot be used."""
    file = access.path(config.workspace_path())
    try:
        version = file.stat().st_mtime
    except OSError:
        version = -1.0
    return _permissions(str(file), version)


def current_access() -> access.Access:
    """What this session's user may see and do: everything without a permissions file when nobody signs in
    (the local tool); nothing when the file cannot be used, before sign-in, or with sign-in configured and
    no permissions file (fail closed: a missing file never opens every study; permissions_notice says so)."""
    found = permissions()
    if isinstance(found, access.PermissionsError) or must_sign_in():
        return access.NOTHING
    if found is None and configured():
        return access.NOTHING
    return access.access_for(current_identity(), found)


_LOG = logging.getLogger(__name__)


def trail() -> Path:
    """The audit trail's file (pts_explorer/audit.py)."""
    return audit.path(config.workspace_path())


# Address keys whose value is a secret (the speaker view's share key drives a presenter's slides): never recorded.
SECRET_KEYS = frozenset(key for key, setting in settings.SETTINGS.settings.items() if setting.kind == "secret")


def cohort_query(query: Mapping[str, list[str]]) -> str:
    """A cohort and settings as the URL query states them (what the trail records: never patient values, and
    never a secret key: SECRET_KEYS are left out)."""
    return urlencode(sorted((k, v) for k, v in query.items() if k not in SECRET_KEYS), doseq=True)


def record(
    action: str,
    page: str = "",
    cohort: str = "",
    kind: str = "",
    size: int | None = None,
    detail: str = "",
    who: Identity | None = None,
) -> None:
    """Append one event to the audit trail for this session's user (or `who`, from a download's thread).
    A trail that cannot be written is logged for the operator; the user's action goes on."""
    user = (who or current_identity()).user or "(not signed in)"
    try:
        audit.append(trail(), audit.event(user, action, page, cohort, kind, size, detail))
    except OSError:
        _LOG.exception("the audit trail %s cannot be written", trail())


def refused_studies(raw: Mapping[str, list[str]]) -> list[str]:
    """The studies an address asks for that this user may not see: its study= values, and those of the saved
    cohorts it opens (cohort=<slug>) or compares (a= .. d= cohort:<slug>). The pages never show them (the
    SQL's allowed_studies); the attempt goes into the audit trail."""
    seen = current_access()
    if not seen.restricted:
        return []
    return sorted({s for s in asked_values(raw, "study") if not seen.sees(s)})


def refused_centers(raw: Mapping[str, list[str]], every: list[str], visible: list[str]) -> list[str]:
    """The centres an address asks for (center=, a saved or compared cohort's, Who benefits' groups=center:..)
    that are centres of the data (`every`) but not of the studies this user may see (`visible`): recorded as
    denied, like a study (the SQL's allowed_studies shows none of their patients). A value that is no centre
    of the data at all is a mistyped link, not an attempt on another study."""
    if not current_access().restricted:
        return []
    hidden = set(every) - set(visible)
    return sorted({c for c in asked_values(raw, "center") if c in hidden})


def asked_values(raw: Mapping[str, list[str]], key: str) -> list[str]:
    """The values of a cohort key (study, center) an address asks for: its own, those of the saved cohorts it
    opens (cohort=<slug>) or compares (a= .. d= cohort:<slug>), and Who benefits' groups and reference written
    "<key>:<value>"."""
    asked = [v for v in raw.get(key, []) if isinstance(v, str)]
    prefix = f"{key}:"
    asked += [
        v.removeprefix(prefix)
        for name in ("groups", "reference")
        for v in raw.get(name, [])
        if isinstance(v, str) and v.startswith(prefix)
    ]
    slugs = list(raw.get("cohort", []))
    # Compare's cohorts: a saved cohort's slug (b=mgi392t8), as the address writes it (or cohort:<slug>)
    slugs += [v.removeprefix("cohort:") for ref in "abcd" for v in raw.get(ref, []) if isinstance(v, str)]
    if slugs:
        try:
            space = workspace.Workspace(config.workspace_path())
            for slug in slugs[:5]:
                if settings.SLUG.fullmatch(slug) and (saved := space.get(slug)) is not None:
                    asked += saved.query.get(key, [])
        except (OSError, workspace.WorkspaceError):
            pass
    return [v for v in asked if isinstance(v, str)]


def refused_compared(raw: Mapping[str, list[str]]) -> list[tuple[str, workspace.Refused]]:
    """Compare's cohorts (a= .. d=, a saved cohort's slug or cohort:<slug>) that are another user's private
    saved cohorts this user may not open (workspace.Refused): each with the key that names it."""
    out = []
    for ref in "abcd":
        values = [v for v in raw.get(ref, []) if isinstance(v, str)]
        slug = values[0].removeprefix("cohort:") if values else ""
        if not settings.SLUG.fullmatch(slug):
            continue
        try:
            store().opened(slug)
        except workspace.Refused as problem:
            out.append((ref, problem))
        except workspace.WorkspaceError:  # an unreadable workspace: the page says so where it lists cohorts
            continue
    return out


def refused(problem: workspace.WorkspaceError, page: str) -> None:
    """Record a change or an opening the workspace refused for want of the manage_cohorts right (Refused) as
    "denied"; any other problem (a name taken, a conflict) is not an attempt beyond the user's rights."""
    if isinstance(problem, workspace.Refused):
        record("denied", page=page, detail=problem.detail)


def audit_events() -> tuple[list[dict], int]:
    """The audit trail's events and its unreadable lines (audit.read)."""
    return audit.read(trail())


def audit_file_name() -> str:
    return trail().name


def may_see_only_some_studies() -> bool:
    """Whether the permissions file limits this session's user to some studies (the pages' wording says so)."""
    return current_access().restricted


def owner() -> workspace.Owner:
    """This session's user as the workspace knows them: who saves (and owns) a cohort or talk, and whether they
    may change others' and open private ones (the manage_cohorts right). The local tool's user is "local",
    with every right: everything is theirs, as before owners existed."""
    return workspace.Owner(user=current_identity().user, manage=may("manage_cohorts"))


def store() -> workspace.Workspace:
    """The workspace (saved cohorts and talks) as this session's user sees and changes it."""
    return workspace.Workspace(config.workspace_path(), owner())


def may(right: str) -> bool:
    """Whether this session's user has `right` (access.RIGHTS) by the permissions file."""
    return current_access().may(right)


def permissions_notice() -> None:
    """Above every page: a permissions file that cannot be used (nobody sees anything until it is fixed)."""
    found = permissions()
    if isinstance(found, access.PermissionsError):
        if not configured():  # the local tool: its one user is the operator, shown the line and the fix
            st.error(f"The permissions file cannot be used, so no study is shown: {escape.markdown(str(found))}")
            return
        # Signed-in users are not told the file's content; nor can the app tell who is an administrator, as
        # the file that says so cannot be read: the line and the fix go to the server's log, for the operator.
        _log_problem(str(found))
        st.error(
            "The permissions file cannot be used, so no study is shown to anybody, administrators included (who "
            "is an administrator is written in that file, and it cannot be read). Ask the administrator: the "
            "server's log names the line and the fix."
        )
    elif found is None and configured():
        file = access.path(config.workspace_path())
        st.error(
            "Sign-in is configured but there is no permissions file, so no study is shown to anybody. For the "
            f"operator: write the grants to {escape.markdown(str(file))} (or set PTS_PERMISSIONS to the file) as "
            "docs/permissions.md describes; the app reads it at the next page."
        )


@st.cache_resource(max_entries=8, show_spinner=False)
def _log_problem(problem: str) -> None:
    """Log a permissions file's problem for the operator, once per problem (not once per page run)."""
    _LOG.error("the permissions file cannot be used: %s", problem)


def unknown_studies_notice(served: list[str]) -> None:
    """For the operator (the local tool's user, or a user with the admin right): the study ids the permissions
    file names that the data served do not hold. A warning, not an error: a grant may name a study imported
    later, but a typo ("trial" for TRIAL) gives its users nothing."""
    found = permissions()
    if not isinstance(found, access.Permissions) or (configured() and not may("admin")):
        return
    if unknown := access.unknown_studies(found, served):
        listed = ", ".join(f"'{escape.markdown(s)}'" for s in unknown)
        held = ", ".join(f"'{escape.markdown(s)}'" for s in sorted(served)) or "none"
        st.warning(
            f"The permissions file names {listed}, which the data served do not hold (study ids are matched "
            f"exactly, case included; the data hold {held}): nobody sees them until such a study is imported.",
            icon=":material/policy:",
        )


def must_sign_in() -> bool:
    """True when sign-in is configured and this session's user is not signed in: no page may run."""
    return configured() and not current_identity().signed_in


# The address a signed-out browser asked for, kept in the browser across the provider's round trip: st.login's
# callback always lands on the home page, in a new session, so only the browser can carry it.
RETURN_COOKIE = "pts_return_to"
RETURN_SECONDS = 900  # how long the sign-in may take: an older address is not reopened
_RETURNED = "_returned_to"  # this session has used (or refused) the cookie: once per session


def remember_address(url_path: str, query: Mapping[str, list[str]]) -> None:
    """On the sign-in screen: keep the address asked for (its page and every query key) in a cookie of this
    browser, so that the first page after sign-in can open it (`return_address`); the home page without a
    query forgets an older one. Written by the page's JavaScript: Streamlit sets no cookie of its own."""
    address = url_path + ("?" + urlencode([(k, v) for k, vs in query.items() for v in vs]) if query else "")
    if not url_path and not query:
        cookies.write(RETURN_COOKIE, "", 0)
    elif len(address) <= 2000:  # a cookie holds ~4 KB; a longer address is not kept (the home page opens)
        cookies.write(RETURN_COOKIE, address, RETURN_SECONDS)


def return_address(known: Mapping[str, object]) -> tuple[str, dict[str, list[str]]] | None:
    """The address a user asked for before signing in (remember_address), on the first run of their signed-in
    session: its page's url_path (one of `known`) and its query; None on every later run, and without one."""
    if st.session_state.get(_RETURNED):
        return None
    st.session_state[_RETURNED] = True
    if not configured() or not current_identity().signed_in:
        return None
    raw = cookies.read(RETURN_COOKIE)
    if not raw:
        return None
    path, _, query = raw.partition("?")
    if path not in known or path == "":
        return None
    asked: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        asked.setdefault(key, []).append(value)
    return path, asked


def forget_address() -> None:
    """On the first page of a signed-in session whose browser holds an asked address: remove it (it was opened,
    or it is not to be), so that a later visit of the home page stays there. Once per session."""
    if st.session_state.get("_return_forgotten") or not cookies.read(RETURN_COOKIE):
        return
    if configured() and current_identity().signed_in:
        st.session_state["_return_forgotten"] = True
        cookies.write(RETURN_COOKIE, "", 0)


def sign_in_screen() -> None:
    """What every address shows before the user signed in: the app's name and a sign-in button."""
    with st.container(key="sign_in"):
        st.title("PTS Outcomes Explorer")
        st.write("Sign in to see the registry's outcomes.")
        if st.button("Sign in", type="primary", key="sign_in_button"):
            try:
                st.login(provider())
            except Exception as exc:  # StreamlitAuthError: the [auth] settings are incomplete
                st.error(
                    "Sign-in is configured but cannot start: complete the [auth] section of the secrets "
                    "(redirect_uri ending in /oauth2callback, cookie_secret, client_id, client_secret, "
                    "server_metadata_url; README, Sign-in).",
                )
                st.text(str(exc))


def sidebar_user() -> None:
    """The signed-in user's name (as text), the studies they may see (when limited) and a sign-out
    button, at the top of the sidebar; without sign-in only the studies, when a permissions file limits them."""
    if not configured():
        if seen := access.describe(current_access()):
            st.sidebar.text(seen)
        return
    who = current_identity()
    if who.signed_in and st.session_state.get("_audited_sign_in") != who.user:
        st.session_state["_audited_sign_in"] = who.user  # once per session: st.login's callback starts a new one
        record("sign_in", detail="the first page of a signed-in session (a sign-in, or a new tab of its browser)")
    with st.sidebar.container(key="signed_in_user"):
        st.text(f"Signed in as {who.name}")
        if seen := access.describe(current_access()):
            st.text(seen)
        if may("admin"):
            st.page_link("app_pages/audit.py", label="Audit trail", icon=":material/policy:")
        if st.button("Sign out", key="sign_out_button"):
            record("sign_out")
            st.logout()


def show_trail(trail: pd.DataFrame) -> None:
    """The audit trail as a data grid: no page's export and no counts to protect (not ui.table); its text,
    from users and addresses, is shown as text by the grid."""
    st.dataframe(trail, hide_index=True, key="audit_table")

"""The permissions file as a data manager writes it: grants to users and groups, studies and rights; a bad
file names the line and the fix, and then gives nobody anything."""

import re

import pytest

from pts_explorer import access
from pts_explorer.access import EVERYTHING, NOTHING, Access, PermissionsError
from pts_explorer.identity import LOCAL, Identity

FILE = """\
# PTS registry: who sees what (kept by the data manager, reviewed each quarter)

[[grant]]
groups = ["pts-attract"]
studies = ["ATTRACT"]
rights = ["export_rows"]

[[grant]]
users = ["m.jansen@umcg.nl"]
studies = ["CAVA", "ATTRACT"]

[[grant]]
groups = ["pts-admins"]
studies = ["*"]
rights = ["import", "manage_cohorts", "admin"]
"""


def who(user: str, *groups: str) -> Identity:
    return Identity(user=user, name=user, groups=groups, signed_in=True)


def test_a_group_member_sees_the_groups_studies_with_its_rights():
    got = access.parse(FILE).access(who("a.smith@example.org", "pts-attract"))
    assert got == Access(studies=frozenset({"ATTRACT"}), rights=frozenset({"export_rows"}))
    assert got.allowed_studies() == ["ATTRACT"]
    assert got.may("export_rows") and not got.may("import") and not got.may("admin")


def test_grants_add_up_and_a_star_is_every_study():
    permissions = access.parse(FILE)
    assert permissions.access(who("m.jansen@umcg.nl", "pts-attract")) == Access(
        studies=frozenset({"ATTRACT", "CAVA"}), rights=frozenset({"export_rows"})
    )
    admin = permissions.access(who("ops@example.org", "pts-admins"))
    assert admin.studies is None and admin.allowed_studies() is None
    assert admin.rights == frozenset({"import", "manage_cohorts", "admin"})


def test_a_user_no_grant_names_sees_nothing():
    got = access.parse(FILE).access(who("stranger@example.org", "other-group"))
    assert got == NOTHING and got.allowed_studies() == []
    assert access.parse(FILE).access(Identity(user="", name="Not signed in")) == NOTHING


def test_without_a_file_everybody_sees_everything(tmp_path):
    assert access.load(tmp_path / "pts_permissions.toml") is None
    assert access.access_for(LOCAL, None) == EVERYTHING
    assert EVERYTHING.allowed_studies() is None and all(EVERYTHING.may(r) for r in access.RIGHTS)


def test_the_file_sits_beside_the_workspace_unless_named(tmp_path, monkeypatch):
    monkeypatch.delenv("PTS_PERMISSIONS", raising=False)
    assert access.path(tmp_path / "pts_workspace.sqlite") == tmp_path / "pts_permissions.toml"
    monkeypatch.setenv("PTS_PERMISSIONS", "/etc/pts/permissions.toml")
    assert str(access.path(tmp_path / "pts_workspace.sqlite")) == "/etc/pts/permissions.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[grant]]\ngroups = ["pts-attract"]\nstudies = ["ATTRACT"]\nrights = ["export_rows", "exports"]\n',
            "pts_permissions.toml, line 4 (grant 1): unknown right 'exports'; the rights are export_rows, import, "
            "manage_cohorts, admin",
        ),
        (
            '[[grant]]\ngroups = ["a"]\nstudies = ["X"]\n\n[[grant]]\ngroup = ["b"]\nstudies = ["Y"]\n',
            "pts_permissions.toml, line 6 (grant 2): unknown key 'group'; a grant has users, groups, studies, rights",
        ),
        (
            '[[grant]]\nusers = ["a@b.org"]\n',
            'pts_permissions.toml, line 1 (grant 1): add studies = ["<study_id>", ...] (or ["*"] for every study)',
        ),
        (
            '[[grant]]\nstudies = ["X"]\n',
            'pts_permissions.toml, line 1 (grant 1): name who it is for: users = ["..."] and/or groups = ["..."]',
        ),
        (
            '[[grant]]\nusers = "a@b.org"\nstudies = ["X"]\n',
            'pts_permissions.toml, line 1 (grant 1): users must be a list of quoted names, e.g. users = ["..."]',
        ),
        (
            "[grant]\nusers = ['a']\nstudies = ['X']\n",
            "pts_permissions.toml: write each grant as a [[grant]] table (double brackets)",
        ),
        (
            '[[grant]]\ngroups = ["pts-trial"]\nstudies = []\n',  # rev30 finding 7: nobody saw why
            'pts_permissions.toml, line 3 (grant 1): studies is empty; name them, studies = ["<study_id>", ...] '
            '(or ["*"])',
        ),
        (
            '[[grant]]\ngroups = ["pts-registry"]\nstudies = ["TRIAL", "REGISTRY "]\n',  # was trimmed silently
            "pts_permissions.toml, line 3 (grant 1): the study id 'REGISTRY ' holds a space; write it exactly as "
            "study_id holds it, e.g. 'REGISTRY'",
        ),
        (
            "# grants to come\n",
            "pts_permissions.toml: the file holds no grant, so nobody would see any study; add [[grant]] tables "
            '(users or groups, studies = ["<study_id>", ...]) as docs/permissions.md shows',
        ),
        (
            '[[grant]]\nusers = ["a@b.org"\nstudies = ["X"]\n',
            None,  # TOML's own message, with the line
        ),
    ],
)
def test_a_bad_file_names_the_line_and_the_fix(text, message):
    with pytest.raises(PermissionsError) as raised:
        access.parse(text)
    if message is None:
        # the middle is tomllib's own words (they change between Python versions): the rest is whole
        assert re.fullmatch(
            r"pts_permissions\.toml, line 3: not valid TOML \(.+\); fix the line as TOML writes it",
            str(raised.value),
        ), str(raised.value)
    else:
        assert str(raised.value) == message


def test_the_pages_say_which_studies_the_user_sees():
    assert access.describe(EVERYTHING) == ""
    assert access.describe(Access(frozenset({"CAVA", "ATTRACT"}), frozenset())) == "Studies you may see: ATTRACT, CAVA"
    assert access.describe(NOTHING) == "Studies you may see: none"


def test_study_ids_the_data_do_not_hold_are_named():
    grants = access.parse(
        '[[grant]]\ngroups = ["t"]\nstudies = ["trial", "REGISTRY"]\n[[grant]]\nusers = ["a"]\nstudies = ["*"]\n'
    )
    assert access.unknown_studies(grants, ["REGISTRY", "TRIAL"]) == ["trial"]
    assert access.unknown_studies(grants, ["REGISTRY", "trial"]) == []

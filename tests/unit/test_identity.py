"""An Identity from an ID token's claims, as providers write them (Keycloak, Entra ID, Google, Okta), and
which claims the operator's settings name."""

from pts_explorer import config
from pts_explorer.identity import LOCAL, Identity, from_claims


def test_a_keycloak_token_names_the_user_by_email_with_its_groups():
    claims = {
        "sub": "f1c2a0e4-5d7b-4c61-9a3e-0b8f2d6e7a91",
        "email": "m.jansen@umcg.nl",
        "name": "Marieke Jansen",
        "preferred_username": "mjansen",
        "groups": ["pts-attract", "pts-admins"],
    }
    assert from_claims(claims) == Identity(
        user="m.jansen@umcg.nl", name="Marieke Jansen", groups=("pts-attract", "pts-admins"), signed_in=True
    )


def test_a_token_without_email_or_name_falls_back_to_the_subject():
    assert from_claims({"sub": "00u1abcd2EFGH3ijk4l5"}) == Identity(
        user="00u1abcd2EFGH3ijk4l5", name="00u1abcd2EFGH3ijk4l5", groups=(), signed_in=True
    )


def test_claims_named_by_the_operator_and_one_group_as_text():
    claims = {"sub": "x", "upn": "a.smith@contoso.onmicrosoft.com", "given_name": "Ann", "roles": "pts.reader"}
    who = from_claims(claims, user_claim="upn", name_claim="given_name", groups_claim="roles")
    assert who == Identity(user="a.smith@contoso.onmicrosoft.com", name="Ann", groups=("pts.reader",), signed_in=True)


def test_a_token_that_names_nobody_gives_no_identity():
    assert from_claims({"email": "  ", "sub": ""}) is None
    assert from_claims({"name": "Someone"}) is None


def test_non_text_groups_are_left_out_and_repeats_once():
    who = from_claims({"email": "a@b.org", "groups": ["g1", 7, None, "g1", " g2 "]})
    assert who is not None and who.groups == ("g1", "g2")


def test_the_local_user_is_not_signed_in():
    assert LOCAL.signed_in is False


def test_sign_in_claims_default_file_and_environment(tmp_path, monkeypatch):
    for key in ("PTS_USER_CLAIM", "PTS_NAME_CLAIM", "PTS_GROUPS_CLAIM"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PTS_CONFIG", str(tmp_path / "missing.toml"))
    assert config.sign_in_claims() == {"user_claim": "email", "name_claim": "name", "groups_claim": "groups"}
    settings = tmp_path / "pts_explorer.toml"
    settings.write_text('[sign_in]\nuser_claim = "preferred_username"\ngroups_claim = "roles"\n')
    monkeypatch.setenv("PTS_CONFIG", str(settings))
    assert config.sign_in_claims() == {
        "user_claim": "preferred_username",
        "name_claim": "name",
        "groups_claim": "roles",
    }
    monkeypatch.setenv("PTS_GROUPS_CLAIM", "realm_groups")
    assert config.sign_in_claims()["groups_claim"] == "realm_groups"

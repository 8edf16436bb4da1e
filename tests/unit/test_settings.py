"""The URL registry: every key parses to an allowed value or its default, and round-trips."""

import pytest

from pts_explorer.settings import MAX_RAW_LENGTH, SETTINGS


def test_choice_takes_the_last_allowed_value():
    assert SETTINGS["outcome"].parse(["vcss", "nonsense"]) == "vcss"
    assert SETTINGS["outcome"].parse(["vcss", "veines_qol"]) == "veines_qol"
    assert SETTINGS["outcome"].parse(["'; DROP TABLE visits; --"]) == "villalta_total"


def test_choices_keep_allowed_values_in_vocabulary_order():
    assert SETTINGS["grade"].parse(["occlusion", "70-99%", "bogus", "occlusion"]) == ["70-99%", "occlusion"]
    assert SETTINGS["grade"].parse([]) == []


def test_study_ids_are_kept_for_the_page_to_check_against_the_database():
    assert SETTINGS["study"].parse(["TRIAL", "TRIAL", "OTHER"]) == ["TRIAL", "OTHER"]


def test_flags_and_numbers():
    assert SETTINGS["registry"].parse(["true"]) is True and SETTINGS["registry"].parse(["no"]) is False
    assert SETTINGS["visit"].parse(["12"]) == 12 and SETTINGS["visit"].parse(["12.0"]) == 12
    assert SETTINGS["visit"].parse(["12.5"]) == 6 and SETTINGS["visit"].parse(["-3"]) == 6
    assert SETTINGS["visit"].parse(["1e308"]) == 6 and SETTINGS["visit"].parse(["nan"]) == 6
    assert SETTINGS["threshold"].parse(["16"]) == 4 and SETTINGS["threshold"].parse(["15"]) == 15


def test_age_range_is_sorted_and_clamped():
    assert SETTINGS["age"].parse(["70", "30"]) == (30, 70)
    assert SETTINGS["age"].parse(["5", "200"]) == (18, 90)
    assert SETTINGS["age"].parse(["40"]) == (18, 90)
    assert SETTINGS["age"].parse(["x", "50"]) == (18, 90)


@pytest.mark.parametrize("hostile", ["a" * (MAX_RAW_LENGTH + 1), "vcss\x00", ""])
def test_overlong_empty_or_nul_values_are_ignored(hostile):
    assert SETTINGS["outcome"].parse([hostile]) == "villalta_total"


def test_unknown_keys_are_dropped_and_defaults_left_out_of_the_url():
    parsed = SETTINGS.parse_all({"outcome": ["vcss"], "evil": ["1"], "visit": ["6"]})
    assert parsed == {"outcome": "vcss", "visit": 6}
    assert SETTINGS.encode_all(parsed) == {"outcome": ["vcss"]}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("site", ["common_iliac", "femoral"]),
        ("age", (30, 59)),
        ("registry", True),
        ("patients", 25),
        ("ulcer", "yes"),
        ("period", "any time"),
    ],
)
def test_values_round_trip_through_the_url(key, value):
    setting = SETTINGS[key]
    encoded = setting.encode(value)
    assert encoded is not None
    assert setting.parse(encoded) == value


def test_validity_against_the_options_a_page_supplies():
    assert SETTINGS["visit"].is_valid(12, [1, 3, 6, 12, 24])
    assert not SETTINGS["visit"].is_valid(120, [1, 3, 6, 12, 24])
    assert SETTINGS["ulcer"].is_valid(None)


def test_readme_documents_every_url_key_and_its_values():
    from pts_explorer.config import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    for key, setting in SETTINGS.settings.items():
        assert f"`{key}`" in readme, key
        for value in setting.options if setting.kind in ("choice", "choices") else ():
            assert f"`{value}`" in readme, (key, value)

"""Hostile saved-cohort files, generated here (none is stored): each is refused whole with its own
message that names the cohort and the field and says what to do, and nothing of it is saved. A file
written by hand the way a colleague would (not by the app's export) imports exactly."""

import json
import sqlite3

import pytest

from pts_explorer.workspace import Workspace, WorkspaceError

DO = "Nothing was imported: correct the file (or export the cohorts again from the app) and import it again."


@pytest.fixture
def space(tmp_path):
    space = Workspace(tmp_path / "ws.sqlite")
    space.save("Before", {"sex": ["male"]}, "demo", "fp", {"stent": 2}, note="kept")
    return space


def _file(*cohorts: dict, **top) -> str:
    """An export of these cohorts, each of every patient ("query": {}) unless it gives its filters."""
    return json.dumps({"pts_saved_cohorts": 1, "cohorts": [{**c, "query": c.get("query", {})} for c in cohorts], **top})


def _refused(space: Workspace, text: str | bytes) -> str:
    before = [(c.slug, c.name, c.note, c.version) for c in space.cohorts()]
    with pytest.raises(WorkspaceError) as refused:
        space.import_json(text)
    assert [(c.slug, c.name, c.note, c.version) for c in space.cohorts()] == before  # nothing stored
    return str(refused.value)


def test_a_file_of_2600_cohorts_is_refused(space):
    text = _file(*({"name": f"c{i}", "query": {"site": ["femoral"]}} for i in range(2600)))
    assert len(text) < 256_000
    assert _refused(space, text) == f"The file holds 2,600 cohorts; one file imports at most 200 (split it). {DO}"


def test_a_file_that_would_fill_the_workspace_past_its_limit_is_refused_whole(space):
    for start in (0, 200):  # 1 + 400 stored, through the import itself
        added, _ = space.import_json(_file(*({"name": f"batch {start + i:03d}"} for i in range(200))))
        assert added == 200
    text = _file(*({"name": f"more {i:03d}"} for i in range(100)))
    assert _refused(space, text) == (
        "The file holds 100 cohorts and 401 are saved already; a workspace holds at most 500. Nothing was "
        "imported: delete saved cohorts you no longer need, or import a smaller file."
    )
    assert space.count() == 401
    space.import_json(_file(*({"name": f"more {i:03d}"} for i in range(99))))
    with pytest.raises(WorkspaceError) as full:
        space.save("one too many", {}, "demo", "fp", {})
    assert str(full.value) == "500 cohorts are saved, the most a workspace holds: delete one you no longer need first."


def test_200000_levels_of_nesting_are_refused_before_parsing(space):
    start = '{"pts_saved_cohorts": 1, "cohorts": [{"name": "deep", "note": '  # 3 levels open
    text = start + "[" * 200_000 + "]" * 200_000 + "}]}"
    ninth = len(start) + 6  # the note's 6th bracket opens the 9th level (counted from 1)
    assert ninth == 68
    assert _refused(space, text) == (
        f"The file nests lists or objects more than 8 levels deep (at character {ninth}); an export of saved "
        f"cohorts nests 5 deep. {DO}"
    )


def test_brackets_inside_text_are_not_nesting(space):
    added, _ = space.import_json(_file({"name": "[[[[[[[[[[ {{{{{{{{{{", "note": '"]]]]]]]]]]\\'}))
    assert added == 1
    assert space.cohorts()[0].name == "[[[[[[[[[[ {{{{{{{{{{" and space.cohorts()[0].note == '"]]]]]]]]]]\\'


def test_a_lone_surrogate_is_refused_with_its_place(space):
    text = (
        '{"pts_saved_cohorts": 1, "cohorts": [{"name": "ok", "query": {}}, '
        '{"name": "Iliac", "query": {}, "note": "see \\ud800 here"}]}'
    )
    assert _refused(space, text) == (
        "Cohort 2 of 2 ('Iliac'), field 'note' holds a lone UTF-16 surrogate (\\ud800 at character 5), which is "
        f"not a character: the file was damaged or written by a faulty tool; remove it. {DO}"
    )


def test_a_surrogate_written_as_bytes_is_not_utf8(space):
    text = b'{"pts_saved_cohorts": 1, "cohorts": [{"name": "x\xed\xa0\x80"}]}'
    assert text.index(b"\xed") + 1 == 49
    assert _refused(space, text) == f"The file is not JSON: it is not UTF-8 text (byte 49 is 0xed). {DO}"


def test_wrong_types_are_refused_not_stored_as_text(space):
    text = _file({"name": "Typed", "note": {"text": "an object"}, "query": [], "counts": {"stent": "12"}})
    assert _refused(space, text) == (
        "Cohort 1 of 1 ('Typed'), field 'note' is an object, not text. "
        "Cohort 1 of 1 ('Typed'), field 'query' is a list, not an object of filters like {\"site\": [\"femoral\"]}. "
        f"Cohort 1 of 1 ('Typed'), field 'counts.stent' is text, not a whole number. {DO}"
    )


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        ("1000000000000000000000000000000", "is a number of 31 digits"),
        ("9" * 5000, "is a number of 5,000 digits"),
        ("-3", "is -3"),
        ("10000001", "is 10000001"),
    ],
)
def test_huge_or_negative_counts_are_refused(space, count, shown):
    text = '{"pts_saved_cohorts": 1, "cohorts": [{"name": "Big", "query": {}, "counts": {"medical": ' + count + "}}]}"
    assert _refused(space, text) == (
        f"Cohort 1 of 1 ('Big'), field 'counts.medical' {shown}; it must be a whole number from 0 to 10,000,000. {DO}"
    )


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("true", "is true/false, not a whole number"),
        ("2.5", "is written 2.5; write a whole number from 0 to 10,000,000, digits only"),
        ("1e400", "is written 1e400; write a whole number from 0 to 10,000,000, digits only"),
        ("1e3", "is written 1e3; write a whole number from 0 to 10,000,000, digits only"),
    ],
)
def test_counts_that_are_not_whole_numbers_are_refused(space, count, message):
    text = '{"pts_saved_cohorts": 1, "cohorts": [{"name": "Odd", "query": {}, "counts": {"stent": ' + count + "}}]}"
    assert _refused(space, text) == f"Cohort 1 of 1 ('Odd'), field 'counts.stent' {message}. {DO}"


def test_nan_is_not_json(space):
    text = '{"pts_saved_cohorts": 1, "cohorts": [{"name": "Odd", "counts": {"stent": NaN}}]}'
    assert (
        _refused(space, text)
        == f"The file is not strict JSON: it holds NaN, which JSON does not allow as a number. {DO}"
    )


def test_unknown_keys_are_refused_where_they_are(space):
    text = _file({"name": "Extra", "colour": "red", "query": {"outcome": ["vcss"]}, "counts": {"placebo": 3}})
    assert _refused(space, text) == (
        "Cohort 1 of 1 ('Extra'), field 'colour' is not a field of a saved cohort; the fields are slug, name, note, "
        "query, dataset_name, fingerprint, counts, created_at, updated_at, version. "
        "Cohort 1 of 1 ('Extra'), field 'query.outcome' is not a filter; the filters are study, arm, site, grade, "
        "band, sex, age, ulcer, center, limb, ceap, stenosis, length, dvt, bmi, bvillalta, bvcss, enrolled, followup. "
        f"Cohort 1 of 1 ('Extra'), field 'counts.placebo' is not an arm; the arms are stent, medical. {DO}"
    )
    assert (
        _refused(space, _file({"name": "x"}, sql="DROP TABLE"))
        == f"The file has keys an export does not have: 'sql'. {DO}"
    )


def test_a_key_given_twice_is_refused(space):
    text = '{"pts_saved_cohorts": 1, "cohorts": [{"name": "a", "name": "b"}]}'
    assert _refused(space, text) == f"The file gives the key 'name' twice in one object; JSON keys are given once. {DO}"


NAME_CUT, VALUE_CUT = "n" * 36, "s" * 36  # a long value is quoted by its first characters


@pytest.mark.parametrize(
    ("cohort", "message"),
    [
        (
            {"name": "n" * 121},
            f"Cohort 1 of 1 ('{NAME_CUT}...), field 'name' is 121 characters long; at most 120 are allowed.",
        ),
        (
            {"name": "N", "note": "x" * 2001},
            "Cohort 1 of 1 ('N'), field 'note' is 2,001 characters long; at most 2,000 are allowed.",
        ),
        (
            {"name": "N", "dataset_name": "d" * 5000},
            "Cohort 1 of 1 ('N'), field 'dataset_name' is 5,000 characters long; at most 200 are allowed.",
        ),
        (
            {"name": "N", "query": {"study": ["s" * 201]}},
            f"Cohort 1 of 1 ('N'), field 'query.study' value '{VALUE_CUT}... is 201 characters long; "
            "at most 200 are allowed.",
        ),
        ({"name": "   "}, "Cohort 1 of 1 ('   '), field 'name' is empty; a saved cohort needs a name."),
        ({"note": "no name"}, "Cohort 1 of 1, field 'name' is missing; a saved cohort needs a name."),
        (
            {"name": "N", "note": "a\x00b"},
            "Cohort 1 of 1 ('N'), field 'note' holds a control character (\\x00 at character 2); remove it.",
        ),
    ],
)
def test_oversized_empty_or_control_text_is_refused(space, cohort, message):
    assert _refused(space, _file(cohort)) == f"{message} {DO}"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"site": ["femoral", "moon"]},
            "field 'query.site' value 'moon' is not allowed; the values are common_femoral, common_iliac, "
            "external_iliac, femoral, ivc.",
        ),
        (
            {"age": ["1", "500"]},
            "field 'query.age' is ['1', '500']; an age range is two whole numbers from 18 to 90, like "
            '["18", "59"].',
        ),
        ({"ulcer": ["yes", "no"]}, "field 'query.ulcer' holds 2 values; this filter takes one of yes, no."),
        ({"sex": "female"}, "field 'query.sex' is text, not a list of values like ['female']."),
        ({"grade": [70]}, "field 'query.grade' value 70 is a number, not text."),
    ],
)
def test_filter_values_come_only_from_the_filters_allowed_values(space, query, message):
    assert _refused(space, _file({"name": "Q", "query": query})) == f"Cohort 1 of 1 ('Q'), {message} {DO}"


def test_a_file_over_the_size_limit_is_refused_unread(space):
    assert (
        _refused(space, b" " * 1_000_001)
        == f"The file is 1,000,001 bytes; a set of saved cohorts is at most 1,000,000. {DO}"
    )


def test_a_hand_written_file_imports_exactly(space, tmp_path):
    """Written as a colleague would, with a BOM and keys in their own order, not by export_json."""
    text = (
        "\ufeff{\n"
        '  "cohorts": [\n'
        '    {"query": {"grade": ["occlusion", "70-99%"], "site": ["ivc"], "age": ["40", "65"], "ulcer": ["no"]},\n'
        '     "name": "IVC, high grade", "note": "Ann\'s list\\nline two", "counts": {"medical": 7, "stent": 9},\n'
        '     "dataset_name": "Registry 2025", "created_at": "2025-03-01T08:00:00+00:00"}\n'
        "  ],\n"
        '  "pts_saved_cohorts": 1\n'
        "}\n"
    )
    assert space.import_json(text.encode()) == (1, [])
    imported = next(c for c in space.cohorts() if c.name == "IVC, high grade")
    assert imported.note == "Ann's list\nline two"
    assert imported.query == {"site": ["ivc"], "grade": ["70-99%", "occlusion"], "age": ["40", "65"], "ulcer": ["no"]}
    assert imported.counts == {"medical": 7, "stent": 9} and imported.dataset_name == "Registry 2025"
    assert (imported.created_at, imported.version) == ("2025-03-01T08:00:00+00:00", 1)
    rows = sqlite3.connect(space.path).execute("SELECT count(*) FROM saved_cohorts").fetchone()[0]
    assert rows == 2


def test_the_readme_names_the_limits_the_workspace_applies():
    from pts_explorer import workspace
    from pts_explorer.config import PROJECT_ROOT

    readme = " ".join((PROJECT_ROOT / "README.md").read_text().split())
    assert (
        f"at most {workspace.MAX_IMPORT_BYTES // 1_000_000} MB and {workspace.MAX_IMPORT_COHORTS} cohorts "
        f"(and {workspace.MAX_STORED} in the workspace), nested at most {workspace.MAX_DEPTH} deep"
    ) in readme
    assert (
        f"(names at most {workspace.MAX_NAME} characters, notes {workspace.MAX_NOTE:,}, a dataset's fingerprint "
        f"{workspace.MAX_FINGERPRINT:,}, other text "
        f"{workspace.MAX_TEXT}, no lone surrogates or control characters, patients per arm whole numbers up to "
        f"{workspace.MAX_COUNT:,})"
    ) in readme
    assert f"lists them {workspace.PAGE_SIZE} to a page" in readme


def test_a_cohort_saved_on_data_with_a_long_odd_name_exports_and_imports_again(tmp_path):
    """The dataset's name comes from the data, which sets no length: the export must still import."""
    source = Workspace(tmp_path / "a.sqlite")
    long_name = "Registry\x07 " + "r" * 400
    source.save("From a long-named dataset", {"sex": ["female"]}, long_name, "f" * 64, {"stent": 5})
    kept = source.cohorts()[0].dataset_name
    assert kept == ("Registry  " + "r" * 400)[:199] + "…" and len(kept) == 200
    target = Workspace(tmp_path / "b.sqlite")
    assert target.import_json(source.export_json()) == (1, [])
    assert target.cohorts()[0].dataset_name == kept


def test_a_real_fingerprint_survives_export_and_import(tmp_path):
    """A fingerprint is every contract table's rows and hash sum: 216 characters on the demo data."""
    fingerprint = (
        "dataset_info:1:479493674251034941|studies:2:14997794586346401264|patients:2640:24393039203917341070323|"
        "visits:14792:136591463773613607266282|procedures:1529:13978885487477292176724|"
        "events:2612:24172747385754092626701"
    )
    assert len(fingerprint) == 216
    source = Workspace(tmp_path / "a.sqlite")
    source.save("Demo", {}, "PTS demo", fingerprint, {"stent": 1})
    target = Workspace(tmp_path / "b.sqlite")
    assert target.import_json(source.export_json()) == (1, [])
    assert target.cohorts()[0].fingerprint == fingerprint


def test_a_cohort_without_its_query_is_refused_not_read_as_every_patient(space):
    """An export always writes "query" ({} for every patient): without it the cohort means nothing."""
    text = (
        '{"pts_saved_cohorts": 1, "cohorts": [{"slug": "ycptza68", "name": "noquery", "note": "first note", '
        '"dataset_name": "PTS demo cohort (synthetic)", "fingerprint": "fp", "counts": {"medical": 73, "stent": 203}, '
        '"created_at": "2026-12-05T18:43:51+00:00", "updated_at": "2026-12-05T18:43:51+00:00", "version": 1}]}'
    )
    assert _refused(space, text) == (
        "Cohort 1 of 1 ('noquery'), field 'query' is missing; a saved cohort needs its filters "
        f'(write "query": {{}} for every patient). {DO}'
    )
    assert _refused(space, '{"pts_saved_cohorts": 1, "cohorts": [{"note": "n"}]}') == (
        "Cohort 1 of 1, field 'name' is missing; a saved cohort needs a name. Cohort 1 of 1, field 'query' is "
        f'missing; a saved cohort needs its filters (write "query": {{}} for every patient). {DO}'
    )


def test_a_study_the_served_data_does_not_hold_is_refused_as_text(space):
    hostile = "<img src=x onerror=alert(1)>"
    text = '{"pts_saved_cohorts": 1, "cohorts": [{"name": "study hostile", "query": {"study": ["' + hostile + '"]}}]}'
    space_studies = ["REGISTRY", "TRIAL"]
    with pytest.raises(WorkspaceError) as refused:
        space.import_json(text, studies=space_studies)
    assert str(refused.value) == (
        "Cohort 1 of 1 ('study hostile'), field 'query.study' value '<img src=x onerror=alert(1)>' is not a study "
        f"of the data served; its studies are 'REGISTRY', 'TRIAL'. {DO}"
    )
    assert space.import_json(text.replace(hostile, "TRIAL"), studies=space_studies) == (1, [])
    assert [(c.name, c.query) for c in space.cohorts()] == [
        ("Before", {"sex": ["male"]}),
        ("study hostile", {"study": ["TRIAL"]}),
    ]

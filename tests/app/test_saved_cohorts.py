"""Saved cohorts in AppTest: save the sidebar's filters, reopen them by their `cohort=` link, rename,
duplicate and delete them, share them as JSON; bad input gets a clear message and changes nothing;
a cohort saved on other data says so on any page."""

import json

import pytest

from pts_explorer import workspace
from pts_explorer.settings import SLUG
from tests.app.test_pages import _texts

FILTERS = {"site": ["common_iliac", "common_femoral"], "grade": ["70-99%", "occlusion"]}


def _open_menu(at):
    """Open the sidebar's Saved cohorts menu (drawn when open, as a reader's click reruns it)."""
    at.session_state["saved_cohorts_menu"] = True
    return at.run()


def _save_in_sidebar(at, name: str, note: str = ""):
    at = _open_menu(at)
    field = next(w for w in at.text_input if w.label == "Save these filters as")
    field.set_value(name)
    if note:
        next(w for w in at.text_area if w.label == "Note (optional)").set_value(note)
    next(b for b in at.button if b.label == "Save").click()
    return at.run()


def _query(at) -> dict[str, list[str]]:
    """The address's query as the app wrote it (AppTest gives a single value as a string)."""
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}


def _space(workspace_file) -> workspace.Workspace:
    return workspace.Workspace(workspace_file)


def test_saving_the_filters_gives_a_short_link_that_reopens_them(app_on, demo_db, workspace_file):
    at = app_on(demo_db, FILTERS).run()
    at = _save_in_sidebar(at, "High-grade CIV/CFV", "the seed's question")
    assert not at.exception, at.exception
    [saved] = _space(workspace_file).cohorts()
    assert saved.name == "High-grade CIV/CFV" and saved.note == "the seed's question"
    assert saved.query == {"site": ["common_iliac", "common_femoral"], "grade": ["70-99%", "occlusion"]}
    assert saved.counts["stent"] > 0 and saved.fingerprint
    assert any("Saved as **High-grade CIV/CFV**" in s.value for s in at.success)
    assert _query(at) == {"cohort": [saved.slug]}  # the short link, filters unchanged

    reopened = app_on(demo_db, {"cohort": saved.slug}).run()  # a fresh session, as after a restart
    assert not reopened.exception, reopened.exception
    assert reopened.multiselect(key="site").value == ["common_iliac", "common_femoral"]
    assert reopened.multiselect(key="grade").value == ["70-99%", "occlusion"]
    texts = _texts(reopened)
    assert ":material/bookmark: High-grade CIV/CFV" in texts and "the seed's question" in texts


def test_changing_a_filter_leaves_the_saved_cohort_and_writes_the_filters(app_on, demo_db, workspace_file):
    saved = _space(workspace_file).save("Femoral", {"site": ["femoral"]}, "demo", "x", {"stent": 1})
    at = app_on(demo_db, {"cohort": saved.slug}).run()
    at.multiselect(key="sex").set_value(["female"]).run()
    assert not at.exception
    assert _query(at) == {"site": ["femoral"], "sex": ["female"]}
    assert ":material/bookmark: Femoral" not in _texts(at)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x" * 10_000, "10,000 characters long; a name has at most 120"),
        ("   ", "needs a name"),
        ("high-grade civ/cfv", "already called"),  # names are unique regardless of case
    ],
)
def test_a_bad_name_is_refused_in_words_and_saves_nothing(app_on, demo_db, workspace_file, name, message):
    _space(workspace_file).save("High-grade CIV/CFV", FILTERS, "demo", "x", {"stent": 1})
    at = app_on(demo_db, {"sex": "male"}).run()
    at = _save_in_sidebar(at, name)
    assert not at.exception, at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert [c.name for c in _space(workspace_file).cohorts()] == ["High-grade CIV/CFV"]
    assert _query(at) == {"sex": ["male"]}


@pytest.mark.parametrize("slug", ["zzzzzzzz", "nope", "'; DROP TABLE saved_cohorts; --", "x" * 500])
def test_an_unknown_slug_says_so_and_the_rest_of_the_link_applies(app_on, demo_db, workspace_file, slug):
    _space(workspace_file).save("Kept", FILTERS, "demo", "x", {"stent": 1})
    at = app_on(demo_db, {"cohort": slug, "sex": "female"}).run()
    assert not at.exception, at.exception
    texts = _texts(at)
    if SLUG.fullmatch(slug):
        assert f"No saved cohort is called **{slug}**" in texts
    else:
        assert "cohort" in texts.lower()  # refused as a malformed value, in words
    assert at.multiselect(key="sex").value == ["female"]
    assert [c.name for c in _space(workspace_file).cohorts()] == ["Kept"]


def test_a_cohort_saved_on_other_data_says_so_with_both_counts(app_on, demo_db, workspace_file):
    saved = _space(workspace_file).save(
        "From the registry export", {"site": ["femoral"]}, "Registry 2025", "f" * 64, {"stent": 999, "medical": 888}
    )
    at = app_on(demo_db, {"cohort": saved.slug}).run()
    assert not at.exception, at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "was saved on other data (**Registry 2025**" in warning
    assert "999 stent, 888 medical patients there" in warning
    assert "patients in the data served now" in warning
    assert at.multiselect(key="site").value == ["femoral"]


def _managed(at):
    return next(w for w in at.selectbox if w.label == "Cohort")


def _cohorts_page(app_on, db, query=None):
    at = app_on(db, query)
    at.switch_page("app_pages/cohorts.py").run()
    assert not at.exception, at.exception
    return at


def test_rename_duplicate_and_delete_on_the_saved_cohorts_page(app_on, demo_db, workspace_file):
    space = _space(workspace_file)
    first = space.save("Ulcer", {"ulcer": ["yes"]}, "demo", "x", {"stent": 1}, note="C6")
    at = _cohorts_page(app_on, demo_db)
    table = at.dataframe[0].value
    assert list(table.Name) == ["Ulcer"] and table.Link[0] == f"?cohort={first.slug}"

    next(w for w in at.text_input if w.label == "Name").set_value("Ulcer at baseline")
    next(w for w in at.text_area if w.label == "Note").set_value("CEAP C6")
    next(b for b in at.button if b.label == "Save name and note").click()
    at.run()
    assert not at.exception, at.exception
    renamed = space.get(first.slug)
    assert (renamed.name, renamed.note, renamed.query) == ("Ulcer at baseline", "CEAP C6", first.query)

    at.button(key="duplicate_cohort").click().run()
    assert sorted(c.name for c in space.cohorts()) == ["Ulcer at baseline", "Ulcer at baseline (copy)"]

    _managed(at).set_value(first.slug).run()
    assert at.button(key="delete_cohort").disabled  # deleting asks for a tick first
    at.checkbox(key="confirm_delete").check().run()
    at.button(key="delete_cohort").click().run()
    assert not at.exception, at.exception
    assert [c.name for c in space.cohorts()] == ["Ulcer at baseline (copy)"]
    assert space.get(first.slug) is None


def test_a_rename_to_a_taken_or_overlong_name_changes_nothing(app_on, demo_db, workspace_file):
    space = _space(workspace_file)
    space.save("Alpha", {"sex": ["male"]}, "demo", "x", {})
    beta = space.save("Beta", {"sex": ["female"]}, "demo", "x", {})
    at = _cohorts_page(app_on, demo_db)
    _managed(at).set_value(beta.slug).run()
    for name, message in (("ALPHA", "already called"), ("b" * 10_000, "at most 120")):
        next(w for w in at.text_input if w.label == "Name").set_value(name)
        next(b for b in at.button if b.label == "Save name and note").click()
        at.run()
        assert any(message in e.value for e in at.error)
    assert sorted(c.name for c in space.cohorts()) == ["Alpha", "Beta"]


def test_json_export_and_import_share_a_set(app_on, demo_db, workspace_file, tmp_path):
    space = _space(workspace_file)
    space.save("Shared", {"band": ["severe"]}, "demo", "x", {"stent": 3}, note="for the team")
    exported = space.export_json()
    space.delete(space.cohorts()[0].slug)
    at = _cohorts_page(app_on, demo_db)
    at.file_uploader(key="import_cohorts").upload("team.json", exported.encode(), "application/json")
    at.run()
    at.button(key="import_cohorts_run").click().run()
    assert not at.exception, at.exception
    assert any("Imported 1 saved cohort" in s.value for s in at.success)
    [shared] = space.cohorts()
    assert (shared.name, shared.note, shared.query) == ("Shared", "for the team", {"band": ["severe"]})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not JSON"),
        (json.dumps({"cohorts": []}).encode(), "not an export of saved cohorts"),
        (json.dumps({"pts_saved_cohorts": 1, "cohorts": [{"name": "ok"}, {"name": "y" * 500}]}).encode(), "at most"),
        (b"\xff\xfe\x00garbage", "not JSON"),
    ],
)
def test_a_malformed_import_is_refused_and_imports_nothing(app_on, demo_db, workspace_file, content, message):
    _space(workspace_file).save("Before", {"sex": ["male"]}, "demo", "x", {})
    at = _cohorts_page(app_on, demo_db)
    at.file_uploader(key="import_cohorts").upload("bad.json", content, "application/json")
    at.run()
    at.button(key="import_cohorts_run").click().run()
    assert not at.exception, at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert [c.name for c in _space(workspace_file).cohorts()] == ["Before"]


def test_an_unreadable_workspace_is_a_notice_not_a_traceback(app_on, demo_db, workspace_file):
    workspace_file.write_bytes(b"not a database" * 50)
    at = app_on(demo_db).run()
    assert not at.exception, at.exception
    assert "cannot be used" in _texts(at)
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception, at.exception
    assert workspace_file.read_bytes() == b"not a database" * 50


def _subgroup_options(con) -> list[str]:
    """Each built-in subgroup as the menu should list it: its label and its patients per arm in the
    whole data, counted here from the contract tables and the definitions file."""
    import tomllib
    from pathlib import Path

    import pts_explorer

    definitions = tomllib.loads((Path(pts_explorer.__file__).parent / "subgroups.toml").read_text())["subgroup"]
    patients = con.table("patients").df()
    baseline = con.execute("SELECT patient_id, pts_band, ulcer_present FROM visits WHERE visit_month = 0").df()
    rows = patients.merge(baseline, on="patient_id", how="left")
    columns = {"site": "obstruction_site", "grade": "stenosis_grade", "band": "pts_band", "sex": "sex"}
    options = []
    for group in definitions:
        keep = rows.patient_id.notna()
        for key, column in columns.items():
            if key in group:
                keep &= rows[column].isin(group[key])
        if "ulcer" in group:
            keep &= rows.ulcer_present.fillna(False).astype(bool) == (group["ulcer"] == "yes")
        n = rows[keep].arm.value_counts()
        options.append(f"{group['label']} ({n.get('stent', 0):,} stent / {n.get('medical', 0):,} medical)")
    return options


def test_a_named_subgroup_applies_its_filters_and_shows_n_per_arm(app_on, demo_db, demo_con):
    at = app_on(demo_db, {"arm": "stent", "sex": "male"}).run()
    picker = next(w for w in _open_menu(at).selectbox if w.label == "Apply a named subgroup")
    assert picker.options == _subgroup_options(demo_con)  # as the user reads them: each on the whole data
    picker.select_index(0).run()
    assert not at.exception, at.exception
    assert at.multiselect(key="site").value == ["common_iliac", "common_femoral"]
    assert at.multiselect(key="grade").value == ["70-99%", "occlusion"]
    assert at.multiselect(key="sex").value == [] and at.multiselect(key="arm").value == ["stent"]
    assert _query(at) == {
        "arm": ["stent"],
        "site": ["common_iliac", "common_femoral"],
        "grade": ["70-99%", "occlusion"],
    }


def test_a_broken_operator_subgroups_file_is_a_notice_and_the_builtins_stay(app_on, small_db, tmp_path):
    import shutil

    db = tmp_path / "served" / "small.duckdb"
    db.parent.mkdir()
    shutil.copy(small_db, db)
    (db.parent / "subgroups.toml").write_text('version = 1\n[[subgroup]]\nname = "x"\nlabel = "X"\nsql = "1=1"\n')
    at = app_on(db).run()
    assert not at.exception, at.exception
    assert "named subgroups of the operator's file are not used" in _texts(at)
    picker = next(w for w in _open_menu(at).selectbox if w.label == "Apply a named subgroup")
    assert picker.options[0] == "70%+ obstruction of the common iliac or common femoral vein (112 stent / 56 medical)"
    assert "X" not in picker.options


def test_presenter_mode_names_the_saved_cohort_and_its_note(app_on, demo_db, workspace_file):
    saved = _space(workspace_file).save(
        "High-grade CIV/CFV", FILTERS, "demo", "x", {"stent": 1}, note="For the Tuesday meeting"
    )
    at = app_on(demo_db, {"cohort": saved.slug, "present": "1"})
    at.switch_page("app_pages/trajectories.py").run()
    assert not at.exception, at.exception
    line = _texts(at)
    assert "**Trajectories** · **High-grade CIV/CFV**: Common iliac, Common femoral; 70-99%, Occlusion" in line
    assert "For the Tuesday meeting" in line


def test_a_saved_cohorts_export_writes_its_filters_out(app_on, demo_db, workspace_file):
    # Reviews of issue 28: filter.json of a saved cohort held only {"cohort": [<slug>]}, which another server
    # cannot open.
    import io
    import zipfile

    from pts_explorer import exports

    query = {"center": ["RC05"], "ceap": ["C4a", "C5"], "bmi": ["25", "35"]}
    at = app_on(demo_db, query).run()
    at = _save_in_sidebar(at, "Eligible at RC05")
    [saved] = _space(workspace_file).cohorts()
    at = app_on(demo_db, {"cohort": saved.slug})
    at.switch_page("app_pages/overview.py").run()
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    page = at.session_state["_export_page"]
    with zipfile.ZipFile(io.BytesIO(exports.bundle(page, demo_db))) as archive:
        written = json.loads(archive.read("filter.json"))
    assert written == {
        "cohort": "Eligible at RC05: Centre RC05; CEAP clinical class C4a, C5; BMI 25-35 kg/m²",
        "url_query": {"cohort": [saved.slug]},
        "filters": query,
    }

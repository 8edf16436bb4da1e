"""A profile uploaded with the files (review 9, finding 12), on the third outside reviewer's classic REDCap
export and their working profile (tests/fixtures/review9: redcap_classic, reg2_v1.toml, kept as written).
The reviewer uploaded reg2_v1.toml with the picker on another profile: the check used the upload, but
the page named it by its file name (reg2_v1) while reports and the Overview use its [profile] name
(redcap-PTSREG2_DATA_2024-06-01_0930), and a later "Check" of the same uploads read the picker's profile,
not the uploaded one."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from pts_explorer.config import PROJECT_ROOT

HERE = PROJECT_ROOT / "tests" / "fixtures" / "review9"
FILES = [*sorted((HERE / "redcap_classic").glob("*.csv")), HERE / "reg2_v1.toml"]
# What the page says of the uploaded profile, whole (its name as Markdown shows it, where it was saved).
USED = (
    "The profile uploaded with the files, **redcap-PTSREG2\\_DATA\\_2024-06-01\\_0930** (saved as "
    "`profiles/reg2_v1.toml`), was used; it is chosen in the Profile picker."
)


def _served(small_db: Path, tmp_path: Path) -> Path:
    served = tmp_path / "served" / "pts_outcomes.duckdb"
    served.parent.mkdir(parents=True)
    shutil.copyfile(small_db, served)
    return served


# The one error of the reviewer's profile: it leaves the arm choice "3, Other" unmapped, which refuses the import
# since review 16 (finding 2) instead of leaving that patient out with a warning.
ARM_OTHER = [("redcap:unmapped", "treatment", "3")]


def _errors(report) -> list[tuple[str, str, str]]:
    errors = report.issues[report.issues.severity == "error"]
    return list(zip(errors.rule, errors.column, errors.value, strict=True))


def _check(at) -> None:
    at.button(key="import_check").click().run()
    assert not at.exception, at.exception


def test_the_uploaded_profile_is_named_by_its_profile_name_and_every_check_of_its_uploads_reads_it(
    app_on, small_db, tmp_path
):
    served = _served(small_db, tmp_path)
    table = tomllib.loads(FILES[-1].read_text(encoding="utf-8"))["profile"]
    name, description = table["name"], table["description"]
    assert (name, description) == (
        "redcap-PTSREG2_DATA_2024-06-01_0930",
        "REDCap flat CSV export (raw values) plus its data dictionary.",
    )
    at = app_on(served).run()
    at.switch_page("app_pages/import_data.py").run()
    at.selectbox(key="import_profile").set_value("adam")  # the picker on another profile, as the reviewer's was
    at.radio(key="import_synthetic").set_value("Synthetic (simulated)")
    at.file_uploader(key="import_files").set_value(
        [(f.name, f.read_bytes(), "application/octet-stream") for f in FILES]
    )
    at.run()
    _check(at)
    saved = served.parent / "profiles" / "reg2_v1.toml"
    picker = at.selectbox(key="import_profile")
    assert picker.value == str(saved)
    # One name, the [profile] name, with its file beside it: in the picker, its caption and the notice.
    assert picker.options[picker.index] == f"{name} (profiles/reg2_v1.toml)"
    assert [c.value for c in at.caption][0] == (
        "**redcap-PTSREG2\\_DATA\\_2024-06-01\\_0930** (`profiles/reg2_v1.toml`): REDCap flat CSV export \\(raw "
        "values\\) plus its data dictionary."
    )
    assert [i.value for i in at.info][0] == USED
    report = at.session_state["import_report"]
    assert report.profile == f"{name} v5"
    assert _errors(report) == ARM_OTHER

    # The user moves the picker away and checks the same uploads by hand: the uploaded profile is read
    # again (before, the picker's adam was, and the export was refused for lacking ADSL), and chosen again.
    at.selectbox(key="import_profile").set_value("adam").run()
    _check(at)
    assert at.session_state["import_report"].profile == f"{name} v5"
    assert _errors(at.session_state["import_report"]) == ARM_OTHER
    assert at.selectbox(key="import_profile").value == str(saved)
    assert [i.value for i in at.info][0] == USED


def test_an_uploaded_profile_whose_name_is_taken_is_saved_under_another_and_the_page_says_so(
    app_on, small_db, tmp_path
):
    """Review 17, finding 9: adam_round1.toml was uploaded while profiles/adam_round1.toml held the edit saved from
    it earlier; the upload was saved as adam_round1-2.toml and the page named that file without a word."""
    served = _served(small_db, tmp_path)
    folder = served.parent / "profiles"
    folder.mkdir()
    upload = FILES[-1].read_text(encoding="utf-8")
    earlier = upload.replace("version = 5", "version = 6", 1)  # the edit saved from it on the page before
    assert earlier != upload
    (folder / "reg2_v1.toml").write_text(earlier, encoding="utf-8")
    name = tomllib.loads(upload)["profile"]["name"]
    at = app_on(served).run()
    at.switch_page("app_pages/import_data.py").run()
    at.radio(key="import_synthetic").set_value("Synthetic (simulated)")
    at.file_uploader(key="import_files").set_value(
        [(f.name, f.read_bytes(), "application/octet-stream") for f in FILES]
    )
    at.run()
    _check(at)
    saved = folder / "reg2_v1-2.toml"
    assert saved.read_text(encoding="utf-8") == upload
    assert (folder / "reg2_v1.toml").read_text(encoding="utf-8") == earlier  # the other profile is kept
    assert at.selectbox(key="import_profile").value == str(saved)
    assert at.session_state["import_report"].profile == f"{name} v5"
    assert [i.value for i in at.info][0] == (
        "The profile uploaded with the files, **redcap-PTSREG2\\_DATA\\_2024-06-01\\_0930**, was used; it is chosen "
        "in the Profile picker. `profiles/reg2_v1.toml` holds another profile already (an edit saved on this page, "
        "or another upload), so the upload was saved as `profiles/reg2_v1-2.toml`, not under its own name."
    )
    # The assistant's edit of it is saved under the name it was saved as, never over the other profile.
    (save_as,) = [t for t in at.text_input if t.label == "Save as"]
    assert save_as.value == "reg2_v1-2"
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    edit = tomllib.loads(saved.read_text(encoding="utf-8"))["profile"]
    assert (edit["name"], edit["version"]) == ("reg2_v1-2", 6)
    assert (folder / "reg2_v1.toml").read_text(encoding="utf-8") == earlier
    assert at.selectbox(key="import_profile").value == str(saved)

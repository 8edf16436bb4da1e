"""The Import page's assistant on what the eighth outside review of issue 23 found (tests/fixtures/review15, the
reviewer's files as written)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pts_explorer.config import PROJECT_ROOT
from tests.app.import_page import checked, verdict

HERE = PROJECT_ROOT / "tests" / "fixtures" / "review15"
REG41 = sorted((HERE / "reg41").glob("*.txt"))


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


CP1252 = "Windows-1252 (cp1252): Excel's text and CSV on Western Windows (’ – € “ ”)"


def test_a_windows_1252_delivery_gets_its_encoding_offered_with_the_delimiter(app_on, small_db, tmp_path):
    """Finding 2: reg41 (Excel "Text (Tab delimited)" on Western Windows) with the contract profile. Round 1
    offered the tab and the decimal comma but no encoding, and the round after showed the encoding error with no
    "Fix the mapping here" at all. Now round 1 offers [csv] encoding too, cp1252 chosen (the files hold bytes
    0x80-0x9F); after "Save and check again" no encoding error is left and the assistant stays for the dates."""
    not_utf8 = [p.name for p in REG41 if not _decodes(p.read_bytes(), "utf-8")]
    assert not_utf8 == ["patients.txt", "studies.txt"]
    at, _ = checked(app_on, small_db, tmp_path, "contract", REG41)
    assert at.selectbox(key="assist_choice_csv_delimiter").value == "tab ('\\t')"
    box = at.selectbox(key="assist_choice_csv_encoding")
    assert (box.label, box.value) == (
        f"[csv] encoding: 2 files not utf-8 text ({', '.join(not_utf8)}); their bytes 0x80-0x9F are Windows-1252 "
        "punctuation",
        CP1252,
    )
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    assert verdict(at, REG41, tmp_path) == "rejected"
    saved = Path(at.selectbox(key="import_profile").value)
    data = tomllib.loads(saved.read_text(encoding="utf-8"))
    assert (data["csv"]["encoding"], data["csv"]["delimiter"]) == ("cp1252", "\t")
    assert not [m for m in at.markdown if "file:encoding" in m.value or "not utf-8 text" in m.value]
    assert any(b.key == "assist_save" for b in at.button), "the assistant stays for what is left"


def test_latin_1_as_the_reviewer_chose_it_gets_cp1252_offered(app_on, small_db, tmp_path):
    """The reviewer's round 2: reg41 with latin-1 (reg41_v1.toml uploaded): the one encoding error, and the page
    offers cp1252, chosen."""
    files = [*REG41, HERE / "reg41_v1.toml"]
    at, _ = checked(app_on, small_db, tmp_path, "contract", files)
    assert verdict(at, files, tmp_path) == "rejected"
    box = at.selectbox(key="assist_choice_csv_encoding")
    assert (box.label, box.value) == (
        "[csv] encoding: 1 file not latin-1 text (patients.txt); their bytes 0x80-0x9F are Windows-1252 punctuation",
        CP1252,
    )


def test_data_checks_says_when_the_sponsors_event_status_is_swapped_for_nearly_every_patient(app_on, tmp_path):
    """Finding 3: adam41 imported with the reviewer's profile (CNSR read as CDISC codes it, while the sponsor codes
    1 = event): Data checks showed "sponsor 4 / app 1 events" under the sponsor's name without a word. It now warns,
    for each endpoint whose event status differs for nearly every patient both hold, that an inverted CNSR gives
    this, naming [adtte] cnsr_event; the counts in the warning are the table's own."""
    from pts_explorer.importer import Options, run_import
    from tests.app.test_fresh_data import _open

    out = tmp_path / "out.duckdb"
    report = run_import(
        HERE / "adam41_adtte.toml",
        sorted((HERE / "adam41").glob("*.xpt")),
        out,
        Options(synthetic=False),
        progress=lambda _: None,
    )
    assert report.imported, report.text()
    at = _open(app_on, out, "data_checks")
    assert not at.exception, at.exception
    (table,) = [df.value for df in at.dataframe if "Event status differs" in df.value.columns]
    expected = []
    for row in table.itertuples():
        both = int(str(row[2]).split(" / ")[2].replace(",", ""))
        differs = int(row[4])
        if differs >= 2 and differs >= 0.9 * both:
            share = "every one" if differs == both else "nearly all"
            expected.append(
                f"{row[1]}: the event status differs for {differs} of the {both} patients both hold ({share}), "
                "which is what a CNSR coded the other way gives (1 = event, where CDISC codes 0 = event). If the "
                "sponsor codes it so, set [adtte] cnsr_event = 1 in the import profile and import again: the "
                "sponsor's events are then counted by it."
            )
    assert len(expected) == 2
    shown = [w.value for w in at.warning if "CNSR coded the other way" in w.value]
    assert [s.replace("\\", "") for s in shown] == expected

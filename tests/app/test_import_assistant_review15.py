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

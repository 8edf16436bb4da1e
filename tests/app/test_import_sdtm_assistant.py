"""The mapping assistant for SDTM on the Import page (issue #23, review finding 6): a sponsor's SDTM
delivery whose names differ from the built-in `sdtm` profile (tests/fixtures/sdtm_assistant, see
its README: QSTESTCD VIL01-VIL11, SUPPDM QNAMs INDLIMB/CEAPC/DVTDTC, VISITNUM 11-14 that no month map
knows, RFENDTC, PRTRT, SUPPPR NSTENT, its own arm labels and AE terms, a partial AE date) is refused;
only the choices the page offers turn it into an import; the profile the page hands out is
`extends = "sdtm"` with only the differences, and the command line imports the same files with it
into the same tables. What the page imported is compared with the CSV files, read here."""

from __future__ import annotations

import csv
import shutil
import tomllib
from pathlib import Path

import duckdb
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from pts_explorer.config import PROJECT_ROOT
from tests.app.import_page import checked, verdict
from tests.databases import VILLALTA_ORDER, cli_import, table_rows

HERE = PROJECT_ROOT / "tests" / "fixtures" / "sdtm_assistant"
FILES = sorted(HERE.glob("*.csv"))
ITEMS = VILLALTA_ORDER
# What a data manager who knows the study picks, by what each select box asks (its label's start).
PICKS = {
    # The healing the visits show is left as it was (offered since review 9, finding 4d).
    "[derive] ulcer_healed": "leave it: no ulcer_healed event (Durability's healing curve stays empty for them)",
    "[dm] last_contact_date": "RFENDTC",
    "[pr] term": "PRTRT",
    "[qualifiers] limb_side": "INDLIMB (Index Limb)",
    "[qualifiers] months_since_dvt": "DVTDTC (Date of Index DVT): the DVT's date (whole months to RFSTDTC)",
    "[qualifiers] lesion_length_mm": "LESLEN (Lesion Length (mm))",
    "[qualifiers] ceap_c": "CEAPC (CEAP Clinical Class)",
    "[procedure] stents_placed": "NSTENT (Number of Stents Placed)",
    "[qs.testcd] ulcer_present": "VILULCER (Villalta-Venous Ulcer, 46 records)",
    "[qs.testcd] vcss": "VCSSTOT (VCSS-Total Score, 46 records)",
    "VISITNUM 11 ": "month 0",
    "VISITNUM 11.1 ": "not a scheduled visit: its records are not imported",
    "VISITNUM 12 ": "month 1",
    "VISITNUM 13 ": "month 6",
    "VISITNUM 14 ": "month 12",
    "[pr] index_terms": "VENOUS STENT PLACEMENT (6 records)",
    "PR term IN-STENT ANGIOPLASTY": "reintervention",
    "PR term STENT THROMBECTOMY AND ANGIOPLASTY": "reintervention",
    "[dates] partial": "first day of the month or year",
}
VALUES = {
    "Venous stent + best medical therapy": "stent",
    "Best medical therapy": "medical",
    "Device occlusion": "stent_thrombosis",
    "Gastrointestinal haemorrhage": "major_bleeding",
    "In-stent stenosis": "restenosis",
    "Vascular access site haematoma": "access_site_bleeding",
}


def _csv(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """What each download button hands the browser, by file name."""
    handed: dict[str, bytes] = {}
    add = MediaFileManager.add

    def recording(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        if file_name and isinstance(path_or_data, bytes | str):
            handed[file_name] = path_or_data.encode() if isinstance(path_or_data, str) else path_or_data
        return add(self, path_or_data, mimetype, coordinates, file_name, is_for_static_download)

    monkeypatch.setattr(MediaFileManager, "add", recording)
    return handed


def _pick(at) -> list[str]:
    """Every choice of the assistant made as PICKS and VALUES say; the labels of those it left."""
    unknown = []
    for box in at.selectbox:
        key = box.key or ""
        label = box.label.replace("\\", "")  # the page escapes Markdown in what the files name
        if key.startswith("assist_choice_"):
            want = next((v for k, v in PICKS.items() if label.startswith(k)), None)
            if want is None and label.startswith("[qs.testcd] v_"):
                item = label.split()[1].removeprefix("v_")
                want = next(o for o in box.options if o.startswith(f"VIL{ITEMS.index(item) + 1:02d} "))
            if want is None:
                if box.value is None:
                    unknown.append(label)
                continue
            box.set_value(want)
        elif key.startswith("assist_value_"):
            if label in VALUES:
                box.set_value(VALUES[label])
            elif label != "Headache":  # not a PTS event: left "skip"
                unknown.append(label)
    return unknown


def test_a_refused_sdtm_delivery_becomes_an_import_by_the_assistants_choices(app_on, small_db, tmp_path, downloads):
    at, served = checked(app_on, small_db, tmp_path, "sdtm", FILES)
    assert verdict(at, FILES, tmp_path) == "rejected"

    # Rounds of choices, each saved and checked again, until the check finds nothing wrong.
    for _ in range(4):
        if any(i.value.startswith("**Checked: no errors") for i in at.info):
            break
        assert _pick(at) == []
        at.run()
        at.button(key="assist_save").click().run()
        assert not at.exception, at.exception
    assert verdict(at, FILES, tmp_path) == "checked"
    saved = Path(at.selectbox(key="import_profile").value)
    assert saved.parent == served.parent / "profiles"

    # The profile handed out: the built-in's differences only.
    profile = tomllib.loads(saved.read_text(encoding="utf-8"))
    assert profile["profile"]["extends"] == "sdtm"
    assert profile["qs"]["testcd"] == {
        **{f"v_{item}": f"VIL{i:02d}" for i, item in enumerate(ITEMS, start=1)},
        "ulcer_present": "VILULCER",
        "vcss": "VCSSTOT",
        "veines_qol": "VEINQOL",
        "veines_sym": "VEINSYM",
        "pain_vas": "PAINVAS",
        "calf_circumference_cm": "CALFCIRC",
        "daily_steps": "STEPS",
        "compression_use": "COMPRESS",
        "villalta_total": "VILTOT",
    }
    assert {k: profile["visits"]["VISITNUM"].get(k) for k in ("11", "11.1", "12", "13", "14")} == {
        "11": 0,
        "11.1": "",  # not a scheduled visit, said so (review 11, N7: a visit missing from the map may be refused)
        "12": 1,
        "13": 6,
        "14": 12,
    }
    assert profile["dm"] == {"last_contact_date": "RFENDTC"}
    assert profile["qualifiers"] == {
        "limb_side": "INDLIMB",
        "months_since_dvt": "",
        "dvt_date": "DVTDTC",
        "lesion_length_mm": "LESLEN",
        "ceap_c": "CEAPC",
    }
    assert "datasets" not in profile and "supp" not in profile and "ae" not in profile  # as the built-in's

    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    assert verdict(at, FILES, tmp_path) == "imported"
    page = table_rows(served)

    # What the page imported, against the CSV files.
    dm = [r for r in _csv("dm.csv") if r["ARM"] != "Screen Failure"]
    arms = {r["USUBJID"]: VALUES[r["ARM"]] for r in dm}
    assert {p[0]: p[3] for p in page["patients"]} == arms
    qs = _csv("qs.csv")
    months = {"11": 0, "12": 1, "13": 6, "14": 12}
    visits = {(r["USUBJID"], months[r["VISITNUM"]]) for r in qs if r["VISITNUM"] in months and r["USUBJID"] in arms}
    assert {(v[0], v[1]) for v in page["visits"]} == visits
    pain = {
        (r["USUBJID"], months[r["VISITNUM"]]): int(r["QSSTRESN"])
        for r in qs
        if r["QSTESTCD"] == "VIL01" and r["VISITNUM"] in months and r["USUBJID"] in arms
    }
    columns = [c[0] for c in duckdb.connect(str(served), read_only=True).execute("DESCRIBE visits").fetchall()]
    at_pain = columns.index("v_pain")
    assert {(v[0], v[1]): v[at_pain] for v in page["visits"]} == pain
    stented = {r["USUBJID"] for r in _csv("pr.csv") if r["PRTRT"] == "VENOUS STENT PLACEMENT"}
    assert {p[0] for p in page["procedures"]} == stented & set(arms)

    # The download is the saved profile, and the command line imports the same files with it.
    handed = downloads[saved.name]
    assert handed.decode("utf-8") == saved.read_text(encoding="utf-8")
    # The edited profile carries its own name, so the served file says which edit built it (not "sdtm").
    assert tomllib.loads(handed.decode("utf-8"))["profile"]["name"] == saved.stem
    with duckdb.connect(str(served), read_only=True) as con:
        assert con.execute("SELECT profile FROM import_info").fetchall() == [(saved.stem,)]
    downloaded = tmp_path / "downloaded.toml"
    downloaded.write_bytes(handed)
    out = tmp_path / "cli.duckdb"
    cli_import(downloaded, FILES, out)
    assert table_rows(out) == page


def _round(at) -> dict[str, str | None]:
    """Every value and PR-event box of the assistant: its label -> the value it shows."""
    return {
        box.label.replace("\\", ""): box.value
        for box in at.selectbox
        if (box.key or "").startswith("assist_value_event_type") or box.label.startswith("PR term ")
    }


STENT_THROMBECTOMY = "PR term STENT THROMBECTOMY AND ANGIOPLASTY (1 record): not in [values.pr_event]"


def _names(at) -> None:
    """The choices of names (datasets, variables, QNAMs, tests, visits, the index term) as PICKS says,
    but [qs.testcd] ulcer_present and the PR terms' events."""
    for box in at.selectbox:
        label = box.label.replace("\\", "")
        if (box.key or "").startswith("assist_choice_") and not label.startswith("[qs.testcd] ulcer_present"):
            want = next((v for k, v in PICKS.items() if label.startswith(k)), None)
            if want is None and label.startswith("[qs.testcd] v_"):
                item = label.split()[1].removeprefix("v_")
                want = next(o for o in box.options if o.startswith(f"VIL{ITEMS.index(item) + 1:02d} "))
            if want is not None and not label.startswith("PR term "):
                box.set_value(want)


def test_a_box_of_the_next_round_holds_only_what_the_user_chose(app_on, small_db, tmp_path):
    """Review 5 finding 1: after "Save and check again" the boxes of the next round are fewer; a box
    left at its default (AE term Headache, PR term STENT THROMBECTOMY AND ANGIOPLASTY) must not take the
    value a box at its position held in the round before ("death", "reintervention"), and the profile
    saved holds only what was chosen: each section compared whole."""
    at, served = checked(app_on, small_db, tmp_path, "sdtm", FILES)

    # Rounds: the names the delivery lacks, but [qs.testcd] ulcer_present (so that every round is refused),
    # until the AE terms and PR terms are asked.
    for _ in range(3):
        if "Headache" in _round(at) and STENT_THROMBECTOMY in _round(at):  # AE terms come in the first round
            break
        _names(at)
        at.run()
        at.button(key="assist_save").click().run()
        assert not at.exception, at.exception

    # The next round: the AE terms but Headache, one PR term of two, the index term; nothing else.
    chosen_ae = {k: v for k, v in VALUES.items() if v not in ("stent", "medical")}
    first = _round(at)
    assert "Headache" in first and STENT_THROMBECTOMY in first, first
    for box in at.selectbox:
        label = box.label.replace("\\", "")
        if (box.key or "").startswith("assist_value_event_type") and label in chosen_ae:
            box.set_value(chosen_ae[label])
        elif label.startswith("PR term IN-STENT ANGIOPLASTY"):
            box.set_value("reintervention")
        elif label.startswith("[pr] index_terms"):
            box.set_value(PICKS["[pr] index_terms"])
    at.run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    assert verdict(at, FILES, tmp_path) == "rejected"

    # The round after: what is left is at its default.
    assert _round(at) == {
        "Headache": "(skip: no contract value)",
        STENT_THROMBECTOMY: "not an event (not imported)",
    }
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    saved = Path(at.selectbox(key="import_profile").value)
    profile = tomllib.loads(saved.read_text(encoding="utf-8"))
    builtin = tomllib.loads((PROJECT_ROOT / "pts_explorer/importer/formats/sdtm.toml").read_text(encoding="utf-8"))
    assert profile["values"]["event_type"] == {**builtin["values"]["event_type"], **chosen_ae}
    assert profile["values"]["pr_event"] == {
        **builtin["values"]["pr_event"],
        "IN-STENT ANGIOPLASTY": "reintervention",
    }


def test_a_months_since_dvt_naming_dates_is_offered_again_on_the_page(app_on, small_db, tmp_path):
    """Review 5 finding 2: a profile whose months_since_dvt names a QNAM of dates (IDVTDT, in the
    reviewer's delivery tests/fixtures/sdtm_review5) is refused, and the page offers the choice again:
    that QNAM read as the DVT's date, first; never as months."""
    served = tmp_path / "served" / "pts_outcomes.duckdb"
    (served.parent / "profiles").mkdir(parents=True)
    shutil.copyfile(small_db, served)
    mine = served.parent / "profiles" / "r5.toml"
    mine.write_text(
        '[profile]\nname = "r5"\nversion = 1\nformat = "sdtm"\nextends = "sdtm"\n\n'
        '[qualifiers]\nmonths_since_dvt = "IDVTDT"\n',
        encoding="utf-8",
    )
    files = sorted((HERE.parent / "sdtm_review5").glob("*.csv"))
    at = app_on(served).run()
    at.switch_page("app_pages/import_data.py").run()
    at.selectbox(key="import_profile").set_value(str(mine))
    at.radio(key="import_synthetic").set_value("Synthetic (simulated)")
    at.file_uploader(key="import_files").set_value([(f.name, f.read_bytes(), "text/csv") for f in files])
    at.run()
    at.button(key="import_check").click().run()
    assert not at.exception, at.exception
    assert verdict(at, files, tmp_path) == "rejected"
    box = at.selectbox(key="assist_choice_sdtm_qnam_qualifiers_months_since_dvt")
    assert box.label.replace("\\", "") == (
        "[qualifiers] months_since_dvt (required): QNAM IDVTDT of SUPPDM holds dates, not months"
    )
    assert box.value is None
    assert box.options[0] == "IDVTDT (Date of index DVT diagnosis): the DVT's date (whole months to RFSTDTC)"
    assert [o for o in box.options if o.startswith("IDVTDT")] == [box.options[0]]

"""What the sixth outside reviewer of issue 23 found, the rest (tests/fixtures/review13: their files as written,
the generators kept as *.py.txt). Expected values are read off the fixtures' own records here (pyreadstat),
never from the importer; whole messages compared."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pandas as pd
import pyreadstat

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.formats import FORMATS
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review13"


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = True) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _profile(name: str) -> dict:
    return _profile_of(HERE / name)


def _profile_of(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _xpt(folder: str, name: str) -> pd.DataFrame:
    frame, _ = pyreadstat.read_xport(str(HERE / folder / name))
    frame["line"] = range(1, len(frame) + 1)
    return frame


def _same_time(folder: str, profile: dict) -> list[dict]:
    """The QS records that give a second, different result of a mapped test at a scheduled follow-up visit on
    the same date as another record (the two legs scored at one visit): each such group's records but the one
    with the highest QSSEQ (the one kept as the latest), with the other's value."""
    qs = _xpt(folder, "qs.xpt")
    months = {float(k): v for k, v in profile["visits"]["VISITNUM"].items()}
    tests = set(profile["qs"]["testcd"].values())
    done = qs[(qs.QSSTAT.str.strip() != "NOT DONE") & qs.QSTESTCD.isin(tests)]
    follow_up = done[done.VISITNUM.map(months).fillna(0) > 0]
    out = []
    for (subject, visit, test, when), g in follow_up.groupby(["USUBJID", "VISIT", "QSTESTCD", "QSDTC"]):
        if g.QSSTRESC.nunique() > 1:
            g = g.sort_values("QSSEQ")
            kept = g.iloc[-1]
            for r in g.iloc[:-1].itertuples():
                out.append(
                    {
                        "line": int(r.line),
                        "seq": float(r.QSSEQ),
                        "subject": subject,
                        "visit": visit,
                        "value": f"{subject} {visit}: {test} = {r.QSSTRESC} and {kept.QSSTRESC} at {when}",
                    }
                )
    return out


# --- finding 3: SUPPQS leg codes L/R, a blank SUPPDM INDLIMB -------------------------------------------------

SDTM23 = sorted((HERE / "sdtm23").glob("*.xpt"))
SAME_TIME = (
    "two different results of one test at one visit, taken at the same date and time (QS): neither is a retest "
    "of the other (a retest has a later date or time), so the one to import cannot be told. "
)


def test_results_whose_leg_is_unknown_only_because_the_leg_codes_are_unmapped_are_said_once(tmp_path):
    """sdtm23 with pts13_sdtm.toml ([qs] laterality QSLAT; [values.limb_side] LEFT, RIGHT; SUPPQS writes L and R):
    18 errors "two different results ... name the SUPPQS QNAM ... in [qs] laterality (now QSLAT ...)" advised
    naming the QNAM the profile already names. The records' leg is unknown because QVAL is unmapped: one error
    says so and points at [values.limb_side]."""
    profile = _profile("pts13_sdtm.toml")
    builtin = tomllib.loads(Path(FORMATS["sdtm"].profile).read_text(encoding="utf-8"))
    assert "laterality" not in profile.get("qs", {}) and "QSLAT" in builtin["qs"]["laterality"]  # named already
    supp = _xpt("sdtm23", "suppqs.xpt")
    legs = supp[supp.QNAM == "QSLAT"]
    assert sorted(legs.QVAL.unique()) == ["L", "R"]
    found = _same_time("sdtm23", profile)
    linked = {(s, q) for s, q in zip(legs.USUBJID, legs.IDVARVAL.astype(float), strict=True)}
    assert all((r["subject"], r["seq"]) in linked for r in found)
    visits = sorted({f"{r['subject']} {r['visit']}" for r in found})
    report = _run(HERE / "pts13_sdtm.toml", SDTM23, tmp_path / "out.duckdb")
    got = report.issues[report.issues.rule == "sdtm:same_time_results"]
    assert list(zip(got.severity, got.file, got.line, got.value, got.message, strict=True)) == [
        (
            "error",
            "qs.xpt",
            min(r["line"] for r in found),
            ", ".join(visits),
            f"{len(found)} records at {len(visits)} visits give a second result of a test at the same date and time, "
            "and their leg cannot be told: the QVAL of their leg qualifier SUPPQS QNAM QSLAT ([qs] laterality) is "
            "neither left nor right (the error on SUPPQS.QVAL). Map its values in [values.limb_side] of a copy of the "
            "profile: the index limb's records are then imported, the other leg's set aside",
        )
    ]
    assert len(found) == 18 and len(visits) == 3


def _blank_index_limb(folder: str) -> list[tuple[str, int]]:
    """(USUBJID, its DM line) of the subjects whose SUPPDM INDLIMB is blank or absent."""
    dm, supp = _xpt(folder, "dm.xpt"), _xpt(folder, "suppdm.xpt")
    given = supp[(supp.QNAM == "INDLIMB") & (supp.QVAL.str.strip() != "")]
    return [(s, int(n)) for s, n in zip(dm.USUBJID, dm.line, strict=True) if s not in set(given.USUBJID)]


def test_a_blank_index_limb_names_the_subject_and_the_ways_out(tmp_path):
    """sdtm23: PTS23-004's SUPPDM INDLIMB is blank. "dm.xpt: line 4: patients.limb_side is empty (NULL) ... check
    that the profile names the source column" named no USUBJID and advised what the profile did already. It
    names the subject, says the source holds no value, and gives the index limb or the population filter."""
    blank = _blank_index_limb("sdtm23")
    assert [s for s, _ in blank] == ["PTS23-004"]
    for name in ("pts13_sdtm.toml", "pts23_sdtm_v2.toml"):
        report = _run(HERE / name, SDTM23, tmp_path / f"{name}.duckdb")
        got = report.issues[report.issues.rule == "required:patients.limb_side"]
        assert list(zip(got.file, got.line, got.message, strict=True)) == [
            (
                "dm.xpt",
                line,
                f"{subject}: patients.limb_side is blank in the source: the subject's SUPPDM qualifier INDLIMB "
                "([qualifiers] limb_side) has no value, and the contract requires one. Give the index limb (left or "
                "right) in the source, or leave the subject out of the import: [population] flag_qnam (a SUPPDM flag "
                'such as ITT that is not "Y" for it) in a copy of the profile.',
            )
            for subject, line in blank
        ], name


def test_two_legs_of_a_subject_without_an_index_limb_say_so_not_to_name_the_qnam(tmp_path):
    """sdtm23 with pts23_sdtm_v2.toml (L, R mapped): PTS23-004's month 6, scored on both legs, was refused with
    the advice to name the SUPPQS QNAM in [qs] laterality, which the profile names. The legs are known; the
    subject's index limb is blank: each record says that."""
    profile = _profile("pts23_sdtm_v2.toml")
    blank = {s for s, _ in _blank_index_limb("sdtm23")}
    found = [r for r in _same_time("sdtm23", profile) if r["subject"] in blank]
    assert len(found) == 6
    report = _run(HERE / "pts23_sdtm_v2.toml", SDTM23, tmp_path / "out.duckdb")
    got = report.issues[report.issues.rule == "sdtm:same_time_results"]
    message = SAME_TIME + (
        "They are the two legs (SUPPQS QNAM QSLAT, [qs] laterality), but the subject's index limb "
        "(patients.limb_side) is not known (the error on patients.limb_side or its [qualifiers] QNAM says why): once "
        "it is given, its leg's records are imported, the other leg's set aside"
    )
    assert sorted(zip(got.line, got.value, got.message, strict=True)) == sorted(
        (r["line"], r["value"], message) for r in found
    )
    assert set(report.issues[report.issues.severity == "error"].rule) == {
        "required:patients.limb_side",
        "sdtm:same_time_results",
    }


# --- finding 4, the rest: the early-baseline warning beside a re-screen's two baseline sets -------------------

REVIEW12 = HERE.parent / "review12"


def _early_baselines(folder: Path) -> list[tuple[str, int, str, str]]:
    """(file, line, USUBJID, day) of each ITT subject's month-0 records (ABLFL = "Y" or AVISITN 0) dated before
    its RANDDT, per ADQS file: the first such line and the visit's earliest day; subjects whose month-0 records
    of one PARAMCD disagree (the re-screen, refused) left out."""
    adsl, _ = pyreadstat.read_xport(str(folder / "adsl.xpt"))
    itt = adsl[adsl.ITTFL.str.strip() == "Y"]
    randomized = dict(zip(itt.USUBJID, pd.to_datetime(itt.RANDDT), strict=True))
    out = []
    for name in ("adqsvcss.xpt", "adqsvil.xpt"):
        frame, _ = pyreadstat.read_xport(str(folder / name))
        frame["line"] = range(1, len(frame) + 1)
        base = frame[((frame.ABLFL.str.strip() == "Y") | (frame.AVISITN == 0)) & frame.USUBJID.isin(list(randomized))]
        for subject, g in base.groupby("USUBJID"):
            if (g.groupby("PARAMCD").AVAL.nunique() > 1).any():
                continue
            days = (pd.to_datetime(g.ADT) - randomized[subject]).dt.days
            if (days < 0).any():
                out.append((name, int(g.line[days < 0].min()), subject, f"{float(days.min()):.1f}"))
    return out


def test_the_early_baseline_warning_names_no_record_of_a_refused_re_screen(tmp_path):
    """adam23, adam23b (PTS11-104's re-screen: a second ABLFL = "Y" set 37 days earlier, both refused by
    adam:duplicate): the warning "baseline assessed before the reference date ... held on day 0" listed PTS11-104
    at the re-screen's line and day -40, as if it were used. It names only the baselines the import would use."""
    for folder in (REVIEW12 / "adam23", REVIEW12 / "adam23b"):
        expected = _early_baselines(folder)
        assert "PTS11-104" not in {r[2] for r in expected} and len(expected) == 18
        report = _run(REVIEW12 / "adam11_v2.toml", sorted(folder.glob("*.xpt")), tmp_path / f"{folder.name}.duckdb")
        assert "PTS11-104" in set(report.issues[report.issues.rule == "adam:duplicate"].record)
        got = report.issues[report.issues.rule == "adam:early_baseline"]
        assert set(got.message) == {
            "baseline assessed before the reference date ([adsl] enrolled_on): held on day 0 ([bds] early_baseline)"
        }
        assert sorted(zip(got.file, got.line, got.record, got.value, strict=True)) == sorted(expected)


# --- REDCap [visits] instrument + month: a baseline form whose month field says another month ----------------


def test_a_baseline_form_whose_month_field_says_another_month_than_its_event_is_refused(tmp_path):
    """rc23 with rc23_v2.toml ([visits] instrument = "villalta", month = "fu_month"; [events] baseline_arm_1 = 0):
    the non-repeating baseline row takes its event's month, and its own fu_month was never compared. The export
    as a builder who ticked "Month 3" on record 12-1's baseline form writes it (that one cell edited): refused,
    naming the record, the event, both months and the keys."""
    source = REVIEW12 / "rc23" / "PTSRC23_DATA_2024-11-04_1412.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    events = _profile_of(REVIEW12 / "rc23_v2.toml")["events"]
    baseline = [
        n for n, r in enumerate(rows) if not r["redcap_repeat_instrument"] and events.get(r["redcap_event_name"]) == 0
    ]
    assert all(rows[n]["fu_month"] in ("", "0") for n in baseline)  # as delivered: nothing to refuse
    edited = baseline[0]
    rows[edited]["fu_month"] = "3"
    record, event = rows[edited]["pt_id"], rows[edited]["redcap_event_name"]
    folder = tmp_path / "rc"
    folder.mkdir()
    with (folder / source.name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    dictionary = next((REVIEW12 / "rc23").glob("*DataDictionary*.csv"))
    (folder / dictionary.name).write_bytes(dictionary.read_bytes())
    report = _run(REVIEW12 / "rc23_v2.toml", sorted(folder.glob("*.csv")), tmp_path / "out.duckdb")
    e = report.issues[report.issues.severity == "error"]
    assert list(zip(e.rule, e.file, e.line, e.record, e.value, e.message, strict=True)) == [
        (
            "redcap:visit_month_event",
            source.name,
            edited + 2,  # the header is line 1
            record,
            "3",
            f"record {record}, event {event}: the visit month field fu_month ([visits] month) says month 3, but "
            f"[events] maps the event {event} to month {events[event]}; a visit has one month. Correct the field in "
            f"the source (blank, or the event's month), or the event's month, [events] {event}, in a copy of the "
            "profile",
        )
    ]


def test_two_results_both_said_to_be_the_index_leg_are_told_to_keep_one(tmp_path):
    """sdtm23 with pts23_sdtm_v2.toml and SUPPQS edited as a data manager's slip would leave it: every QSLAT of
    PTS23-001 (index limb LEFT) says L, so both legs' month-6 records say they are the left leg. Neither is the
    other leg, and naming the QNAM (named already) or the index limb (given) fixes nothing: each record says
    both are of the same leg, keep one in the source."""
    folder = tmp_path / "sdtm"
    folder.mkdir()
    for path in SDTM23:
        if path.name != "suppqs.xpt":
            (folder / path.name).write_bytes(path.read_bytes())
    supp, meta = pyreadstat.read_xport(str(HERE / "sdtm23" / "suppqs.xpt"))
    mine = (supp.USUBJID == "PTS23-001") & (supp.QNAM == "QSLAT")
    assert set(supp.QVAL[mine]) == {"L", "R"}
    supp.loc[mine, "QVAL"] = "L"
    pyreadstat.write_xport(supp, str(folder / "suppqs.xpt"), table_name=meta.table_name, file_format_version=5)
    dm = _xpt("sdtm23", "suppdm.xpt")
    assert list(dm.QVAL[(dm.USUBJID == "PTS23-001") & (dm.QNAM == "INDLIMB")]) == ["LEFT"]
    profile = _profile("pts23_sdtm_v2.toml")
    found = [r for r in _same_time("sdtm23", profile) if r["subject"] == "PTS23-001"]
    assert found
    report = _run(HERE / "pts23_sdtm_v2.toml", sorted(folder.glob("*.xpt")), tmp_path / "out.duckdb")
    got = report.issues[
        (report.issues.rule == "sdtm:same_time_results") & report.issues.record.str.startswith("PTS23-001")
    ]
    message = SAME_TIME + (
        "Both are of the same leg, as SUPPQS QNAM QSLAT ([qs] laterality) says: keep one in the source"
    )
    assert sorted(zip(got.line, got.value, got.message, strict=True)) == sorted(
        (r["line"], r["value"], message) for r in found
    )

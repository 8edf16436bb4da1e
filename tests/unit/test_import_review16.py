"""What the ninth outside reviewer of issue 23 found (tests/fixtures/review16: their hand-written files). Expected
values are read off the fixtures' own records here (pyreadstat, csv), never from the importer; whole messages and
whole counts compared."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyreadstat

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.assistant_choices import encoding_choices, survey
from pts_explorer.importer.profiles import read
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review16"


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = False) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _errors(report: ImportReport) -> list[tuple[str, str]]:
    errors = report.issues[report.issues.severity == "error"]
    return list(zip(errors.rule, errors.message, strict=True))


def _with(profile: Path, tmp_path: Path, extra: str, before: str = "[datasets]") -> Path:
    """A copy of a fixture's profile with `extra` written before its `before` table."""
    text = profile.read_text(encoding="utf-8")
    assert before in text
    out = tmp_path / profile.name
    out.write_text(text.replace(before, f"{extra}\n\n{before}", 1), encoding="utf-8")
    return out


# --- finding 1: a transport file written in Windows-1252 ------------------------------------------------------------

F1 = HERE / "f1_xpt_cp1252"


def test_cp1252_transport_file_is_refused_naming_the_column_and_the_key(tmp_path):
    report = _run(F1 / "pts201.toml", sorted(F1.glob("*.xpt")), tmp_path / "out.duckdb", check=True)
    assert _errors(report) == [
        (
            "file:encoding",
            'the text of column AETERM is not UTF-8 text (byte 0xFC is "ü" in Windows-1252, as SAS on Windows '
            '(wlatin1) writes it): set [sas] encoding = "cp1252" in a copy of the profile',
        )
    ]
    errors = report.issues[report.issues.severity == "error"]
    assert list(errors.file) == ["adae.xpt"]


def test_sas_encoding_reads_the_transport_file_faithfully(tmp_path):
    profile = _with(F1 / "pts201.toml", tmp_path, '[sas]\nencoding = "cp1252"')
    out = tmp_path / "out.duckdb"
    report = _run(profile, sorted(F1.glob("*.xpt")), out)
    assert _errors(report) == []
    adae, _ = pyreadstat.read_xport(str(F1 / "adae.xpt"), encoding="cp1252")
    assert "Lungenembolie (Dr Müller)" in set(adae.AETERM)  # the fixture's own text, read in its encoding
    adsl, _ = pyreadstat.read_xport(str(F1 / "adsl.xpt"))
    kept = adsl[(adsl.ITTFL == "Y") & (adsl.TRT01P != "STENT + LYSIS")]  # the profile's [population]
    with duckdb.connect(str(out), read_only=True) as con:
        patients = sorted(r[0] for r in con.execute("SELECT patient_id FROM patients").fetchall())
    assert patients == sorted(kept.USUBJID)


def test_the_assistant_offers_the_sas_encoding(tmp_path):
    profile = read(F1 / "pts201.toml", ("adam",))
    sources = [tmp_path / p.name for p in sorted(F1.glob("*.xpt"))]
    for p in sorted(F1.glob("*.xpt")):
        shutil.copy(p, tmp_path / p.name)
    choices = encoding_choices(profile, ["file:encoding"], survey(profile, sources))
    assert [(c.key, c.label, [o.writes for o in c.options], c.default) for c in choices] == [
        (
            "sas_encoding",
            "[sas] encoding: 1 SAS file not utf-8 text (adae.xpt)",
            [((("sas", "encoding"), "cp1252"),), ((("sas", "encoding"), "latin-1"),)],
            0,
        )
    ]

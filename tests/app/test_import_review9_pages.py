"""Review 9 of #23, finding 3: after an ADaM import whose profile mapped [adtte] TTHEAL =
"ulcer_healed" (no endpoint the app derives), the Data checks page raised KeyError 'ulcer_healed'.
The importer now refuses that key (tests/unit/test_import_review9.py); a file imported before that
still holds it, and the page shows it as stored, as text, not reconciled."""

import duckdb

from tests.app.test_fresh_data import _open
from tests.unit.test_import_review9 import HERE, WORKING, _adam, _run


def test_data_checks_shows_an_adtte_endpoint_it_does_not_know_as_text_unreconciled(app_on, tmp_path):
    report = _run(WORKING(tmp_path), _adam("adam02b"), tmp_path)
    assert report.imported, report.text()
    out = tmp_path / "out.duckdb"
    con = duckdb.connect(str(out))
    con.execute("UPDATE sponsor_adtte SET endpoint = 'ulcer_healed' WHERE paramcd = 'TTHEAL'")
    con.close()
    assert (HERE / "adam02b" / "adtte.xpt").exists()

    at = _open(app_on, out, "data_checks")
    assert not [m.value for m in at.error]
    assert not [df for df in at.dataframe if "Event status differs" in df.value.columns]
    assert [c.value for c in at.caption if c.value.startswith("Not reconciled")] == [
        "Not reconciled, the app derives no endpoint of this name: ulcer\\_healed \\(TTHEAL\\). Map each PARAMCD in "
        "[adtte] of the import profile to one of primary\\_patency, assisted\\_primary\\_patency, "
        "secondary\\_patency, freedom\\_from\\_reintervention, ulcer\\_healing, freedom\\_from\\_recurrent\\_dvt "
        "and import again."
    ]

"""Every analysis page's reproducibility bundle, run as a colleague would run it (a fresh folder
holding only the unzipped bundle and the database, a Python that cannot see this project), gives
the numbers the page shows: each is read off the page (metrics, tables) and compared whole with the
bundle's result formatted the way a paper prints it."""

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from urllib.parse import parse_qsl

import pytest

from pts_explorer import display, exports, vocab
from pts_explorer.analytics.baseline import CONTINUOUS
from pts_explorer.config import ANALYSIS_PAGES
from tests.app.test_presenter_and_exports import _page_export, _prepared

PAGES = {p.name: p for p in ANALYSIS_PAGES}


def run_bundle(page: exports.PageExport, db_path, folder) -> subprocess.CompletedProcess:
    """Unzip the bundle into an empty folder beside a copy of the database, and run its script
    there with an interpreter that ignores PYTHONPATH and the user's site (so it finds no
    pts_explorer but the bundle's)."""
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(exports.bundle(page, db_path))) as archive:
        archive.extractall(folder)
    shutil.copyfile(db_path, folder / "outcomes.duckdb")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(folder)}
    return subprocess.run(
        [sys.executable, "-E", "-s", "reproduce.py", "outcomes.duckdb"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _fmt(value: float, decimals: int, signed: bool = False) -> str:
    """As a paper prints it: no negative zero, a sign on a difference."""
    rounded = round(value, decimals) or 0.0
    return f"{rounded:+.{decimals}f}" if signed and rounded else f"{rounded:.{decimals}f}"


def _ci(low: float, high: float, decimals: int) -> str:
    return f"{_fmt(low, decimals)} to {_fmt(high, decimals)}"


def _metrics(at) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for metric in at.metric:
        out.setdefault(metric.label, set()).add(metric.value)
    return out


def _frame(at, column: str):
    """The first table on the page with this column header."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a column {column!r}"
    return found[0]


def _key(*parts) -> str:
    """A result's key as the bundle's results.json writes it (str of the tuple)."""
    return str(tuple(parts))


def _by_query(page: exports.PageExport, results: dict) -> dict[str, list]:
    out: dict[str, list] = {}
    for i, method in enumerate(page.methods, start=1):
        out.setdefault(method.query, []).append(results[f"number_{i:02d}"])
    return out


def check_overview(at, results, compared):
    (r,) = results["export_patients"]
    metrics = _metrics(at)
    assert metrics["Patients"] == {f"{int(r['patients']):,}"}
    for arm in vocab.ARMS:
        assert f"{int(r['per arm'][arm]):,}" in metrics[vocab.ARMS[arm]]
        compared.append(arm)
    table = _frame(at, "Characteristic").set_index("Characteristic")
    stent = next(c for c in table.columns if c.startswith("Stent"))
    medical = next(c for c in table.columns if c.startswith("Medical"))
    assert stent == f"Stent (n = {int(r['per arm']['stent']):,})"
    for variable in CONTINUOUS:
        row = table.loc[f"{display.CONTINUOUS_LABELS[variable]}, mean (SD)"]
        numbers = r[variable]
        for arm, column in (("stent", stent), ("medical", medical)):
            shown = row[column]
            decimals = len(shown.split(" ")[0].split(".")[1]) if "." in shown else 0
            mean, sd = numbers[f"mean {arm}"], numbers[f"std {arm}"]
            assert shown == f"{mean:.{decimals}f} ({sd:.{decimals}f})", (variable, arm)
        flag = f" {display.SMD_FLAG}" if abs(numbers["smd"]) > 0.1 else ""
        assert row["SMD"] == _fmt(numbers["smd"], 2) + flag, variable
        compared.append(variable)


def check_trajectories(at, results, compared):
    (r,) = results["trajectory_summary"]
    means = _frame(at, "95% CI")
    mean_column = next(c for c in means.columns if c.startswith("Mean"))
    for row in means.to_dict("records"):
        arm = next(k for k, v in vocab.ARMS.items() if v == row["Arm"])
        got = r[_key(row.get("Study", "All studies"), arm, int(row["Visit (month)"]))]
        assert row["n"] == f"{int(got['n']):,}"
        assert row[mean_column] == _fmt(got["mean"], 1)
        assert row["95% CI"] == _ci(got["ci_low"], got["ci_high"], 1)
        compared.append(row)
    differences = _frame(at, "Welch 95% CI")
    diff_column = next(c for c in differences.columns if c.startswith("Difference"))
    for row in differences.to_dict("records"):
        got = r[_key(row.get("Study", "All studies"), "difference", int(row["Visit (month)"]))]
        assert row[diff_column] == _fmt(got["diff"], 2, signed=True)
        assert row["Welch 95% CI"] == _ci(got["ci_low"], got["ci_high"], 2)
        assert row["p"] == display.format_p(got["p_value"])
        compared.append(row)


def check_effects(at, results, compared):
    (mmrm,) = results["analysis_long"]
    table = _frame(at, "SE")
    diff_column = next(c for c in table.columns if c.startswith("Difference"))
    for row in table.to_dict("records"):
        got = mmrm[str(int(row["Visit (month)"]))]
        assert row[diff_column] == _fmt(got["estimate"], 2, signed=True)
        assert row["95% CI"] == _ci(got["ci_low"], got["ci_high"], 2)
        compared.append(row)
    (ancova,) = results["analysis_visit"]
    metrics = _metrics(at)
    assert metrics["Difference"] == {_fmt(ancova["estimate"], 2, signed=True)}
    assert metrics["95% CI"] == {f"{_fmt(ancova['ci_low'], 2, True)} to {_fmt(ancova['ci_high'], 2, True)}"}
    compared.append("ancova")


def check_subgroups(at, results, compared):
    (r,) = results["analysis_visit"]
    factor_of = {label: factor for factor, label in vocab.SUBGROUP_FACTORS.items()}
    tests = _frame(at, "Interaction p (F-test)")
    for row in tests.to_dict("records"):
        if row["Subgroup factor"] in factor_of:
            got = r.get(_key(factor_of[row["Subgroup factor"]], "interaction p"))
            assert row["Interaction p (F-test)"] == (display.DASH if got is None else display.format_p(got))
            compared.append(row)
    table = _frame(at, "Subgroup")
    diff_column = next(c for c in table.columns if c.startswith("Difference"))
    for row in table.to_dict("records"):
        factor = factor_of.get(row["Factor"])
        if factor is None or row[diff_column] == display.DASH:  # a named subgroup; or too few to estimate
            continue
        levels = vocab.LEVELS.get(factor) or {}
        level = next((code for code, label in levels.items() if label == row["Subgroup"]), row["Subgroup"])
        assert row[diff_column] == _fmt(r[_key(factor, level)], 2, signed=True), row
        compared.append(row)


def check_responders(at, results, compared):
    r = results["responders_by_visit"][0]
    table = _frame(at, "95% CI (Newcombe)")
    (month,) = {int(h.value.split("month ")[1]) for h in at.subheader if h.value.startswith("Band shift")}
    (row,) = [row for row in table.to_dict("records") if int(row["Visit (month)"]) == month]
    assert row["Risk difference, % points"] == _fmt(100 * r["risk_difference"], 1, signed=True)
    assert row["95% CI (Newcombe)"] == _ci(100 * r["rd_ci"][0], 100 * r["rd_ci"][1], 1)
    assert row["Risk ratio"] == _fmt(r["risk_ratio"], 2)
    assert row["95% CI (Katz)"] == _ci(r["rr_ci"][0], r["rr_ci"][1], 2)
    compared.extend(["risk difference", "its CI", "risk ratio", "its CI"])


def check_compare(at, results, compared):
    (r,) = results["trajectory_summary"]
    metrics = _metrics(at)
    assert metrics["Cohort A"] == {f"{int(r['in A']):,}"}
    assert metrics["Cohort B"] == {f"{int(r['in B']):,}"}
    assert metrics["In both"] == {f"{int(r['in both']):,}"}
    compared.append("sizes")
    table = _frame(at, "Welch 95% CI")
    (diff_column,) = [c for c in table.columns if " − " in c]  # "<side A> − <side B>, <unit>"
    for row in table.to_dict("records"):
        arm = next(k for k, v in vocab.ARMS.items() if v == row["Arm"])
        got = r[_key("A - B", arm, int(row["Visit (month)"]))]
        assert row[diff_column] == _fmt(got["diff"], 2, signed=True)
        assert row["Welch 95% CI"] == _ci(got["ci_low"], got["ci_high"], 2)
        compared.append(row)


def check_candidate(at, results, compared):
    (r,) = results["trajectory_summary@matched_cohort"]
    metrics = _metrics(at)
    for arm in vocab.ARMS:
        assert metrics[f"Matched, {arm}"] == {f"{int(r['matched'][arm]):,}"}
    for month in (6, 12):
        label = f"Stent − medical change at month {month}"
        assert metrics[label] == {f"{_fmt(r[_key('expected stent - medical', month)], 1, signed=True)} points"}
        compared.append(month)


def check_durability(at, results, compared):
    (r,) = results["km_counts"]
    table = _frame(at, "1 year")
    labels = {v: k for k, v in vocab.ARMS.items()}
    for row in table.to_dict("records"):
        group = labels[row["Arm"]]
        for years in (1, 2, 5, 10):
            cell = row[f"{years} year{'s' * (years > 1)}"]
            if cell != display.DASH:  # nobody (or fewer than k) still at risk
                assert cell.split(" (")[0] == f"{100 * r[_key(group, years)]:.1f}%", (group, years)
                compared.append((group, years))
    if len(table) == 1:  # one curve (primary patency opens on the stent arm alone): no hazard ratio drawn
        assert "cox_data" not in results and not [d for d in at.dataframe if "Hazard ratio" in d.value.columns]
        return
    (cox,) = results["cox_data"]
    hazard = _frame(at, "Hazard ratio")
    assert hazard.set_index(hazard.columns[0]).loc["Stent", "Hazard ratio"] == _fmt(cox["arm[stent]"], 2)
    compared.append("hr")


def check_safety(at, results, compared):
    (r,) = results["safety_events"]
    rows = [dict(zip(r, values, strict=True)) for values in zip(*r.values(), strict=True)]
    table = _frame(at, "Complication")
    period = at.session_state["period"]
    for row in table.to_dict("records"):
        event = next(k for k, v in vocab.EVENT_LABELS.items() if v == row["Complication"])
        for arm in vocab.ARMS:
            cell = row.get(f"{vocab.ARMS[arm]}: patients, % (95% CI)")
            if cell is None or "hidden" in cell:
                continue
            found = [x for x in rows if (x["arm"], x["event_type"], x["period"]) == (arm, event, period)]
            want = {
                f"{int(x['patients_with']):,} of {int(x['patients']):,} · {x['pct']:.1f}% "
                f"({x['ci_low']:.1f}-{x['ci_high']:.1f})"
                for x in found
            }
            if int(cell.split(" of ")[0].replace(",", "")):  # the snippet lists periods with events
                assert {cell} == want, (event, arm)
                compared.append((event, arm))


def check_benefit(at, results, compared):
    (r,) = next(found for name, found in results.items() if name.split("@")[0] == "analysis_visit")
    cohorts = {"A": "A", "B": "B", "A without B": "A", "B without A": "B", "A only": "A", "B only": "B"}
    labels = {label: code for code, label in vocab.LEVELS["high_grade_site"].items()} | cohorts
    labels |= {"< 50": "1", "50 to < 65": "2", "65+": "3"}  # by=age_years: the default cuts' ranges

    def same(row, got, column, ci, p):
        assert row[column] == _fmt(got["estimate"], 2, signed=True), row
        assert row[ci] == _ci(got["ci_low"], got["ci_high"], 2), row
        assert row[p] == display.format_p(got["p"]), row
        compared.append(row)

    table = _frame(at, "Difference in effect")
    diff_column = next(c for c in table.columns if c.startswith("Difference,"))
    for row in table.to_dict("records"):
        shown, reference = row["Difference in effect"].split(" − ")
        same(row, r[labels[shown]], diff_column, "95% CI", "p (interaction)")
    groups = _frame(at, "Group")
    effect_column = next(c for c in groups.columns if c.startswith("Effect,"))
    for row in groups.to_dict("records"):
        if row[effect_column] != display.DASH:  # a group too small to estimate is not in the bundle's model
            same(row, r[_key("effect", labels[row["Group"]])], effect_column, "95% CI", "p")


def check_adjusted(at, results, compared):
    (r,) = results["propensity_rows"]
    metrics = _metrics(at)
    assert metrics["Adjusted estimate (ATO)"] == {_fmt(r["estimate"], 2, signed=True)}
    assert metrics["95% CI (robust)"] == {f"{_fmt(r['ci_low'], 2, True)} to {_fmt(r['ci_high'], 2, True)}"}
    assert metrics["ESS, stent / medical"] == {f"{_fmt(r['ess']['stent'], 1)} / {_fmt(r['ess']['medical'], 1)}"}
    worst = r["max_abs_smd_after"]
    assert metrics["Max |SMD| after"] == {_fmt(worst, 3) + (f" {display.SMD_FLAG}" if worst > 0.1 else "")}
    compared.extend(["estimate", "ci", "ess", "smd"])
    trial = _frame(at, "Estimate").set_index("Estimate").loc["Trial, randomized"]
    assert trial.iloc[0] == _fmt(r["trial"][0], 2, signed=True)
    assert trial["95% CI"] == f"{_fmt(r['trial'][1], 2, True)} to {_fmt(r['trial'][2], 2, True)}"
    compared.append("trial")


CHECKS = {
    "adjusted": check_adjusted,
    "benefit": check_benefit,
    "overview": check_overview,
    "trajectories": check_trajectories,
    "effects": check_effects,
    "subgroups": check_subgroups,
    "responders": check_responders,
    "compare": check_compare,
    "candidate": check_candidate,
    "durability": check_durability,
    "safety": check_safety,
}


def test_every_analysis_page_has_a_check():
    assert set(CHECKS) == set(PAGES)


# Views beside each page's own opening: Durability opens on one curve (primary patency, stent arm),
# so its arms' comparison and Cox model are reproduced on ulcer healing, which both arms have; Who
# benefits compares two cohorts (each side its own statement) as well as the groups of one column, and groups
# the page forms from any attribute.
VIEWS = [(name, "") for name in PAGES] + [("durability", "endpoint=ulcer_healing"), ("benefit", "by=cohorts")]
VIEWS += [("benefit", "by=age_years")]  # a split formed by the page (age cut at 50 and 65): the bundle forms it too


@pytest.mark.parametrize(("name", "query"), VIEWS)
def test_the_bundle_reproduces_the_numbers_on_the_page(app_on, demo_db, tmp_path, monkeypatch, name, query):
    spec = PAGES[name]
    if name == "durability":  # the bundle reproduces the exact Kaplan-Meier; under small-cell protection the page
        monkeypatch.setenv("PTS_MIN_CELL_COUNT", "0")  # coarsens its curves and reads them (test_curve_protection)
    at = _prepared(app_on, demo_db, name, dict(parse_qsl(query or spec.example)))
    assert at.expander, "the page has no 'How this was computed'"
    assert any(e.label == "How this was computed" for e in at.expander)
    page = _page_export(at, spec.title, demo_db)
    done = run_bundle(page, demo_db, tmp_path / "bundle")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "warning" not in done.stdout  # the fingerprint matched
    results = json.loads((tmp_path / "bundle" / "results.json").read_text())
    compared: list = []
    CHECKS[name](at, _by_query(page, results), compared)
    assert len(compared) >= 2, "the bundle reproduced (almost) nothing the page shows"


def test_a_bundle_with_nothing_to_reproduce_fails(demo_db, tmp_path):
    """A view that computed no number: the script says so and exits with an error, never `{}`."""
    page = exports.PageExport(
        page="Overview", cohort="nobody", query={}, dataset="demo", synthetic=True, fingerprint="x", protection=""
    )
    done = run_bundle(page, demo_db, tmp_path / "bundle")
    assert done.returncode != 0
    assert "nothing to reproduce" in done.stderr
    assert not (tmp_path / "bundle" / "results.json").exists()


def test_the_bundle_names_no_server_path_and_runs_beside_the_file(app_on, demo_db, tmp_path):
    """reproduce.py reads DB_FILE, else $PTS_DB, else the file's name beside it; nothing in the bundle
    (script, queries, README) holds the server's path to the file (#24 item 9)."""
    at = _prepared(app_on, demo_db, "overview")
    page = _page_export(at, "Overview", demo_db)
    folder = tmp_path / "clean"
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(exports.bundle(page, demo_db))) as archive:
        archive.extractall(folder)
        texts = {n: archive.read(n).decode("utf-8") for n in archive.namelist()}
    for name, text in texts.items():
        assert str(demo_db.parent) not in text, name
    line = "DB = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('PTS_DB') or 'pts_outcomes.duckdb'"
    assert line in texts["reproduce.py"].splitlines()
    shutil.copyfile(demo_db, folder / "pts_outcomes.duckdb")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(folder)}
    done = subprocess.run(
        [sys.executable, "-E", "-s", "reproduce.py"], cwd=folder, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "warning" not in done.stdout  # the fingerprint matched: it read the copy beside it
    assert done.stdout.splitlines()[-1] == "wrote results.json"
    patients = json.loads((folder / "results.json").read_text())["number_01"]["patients"]
    assert int(patients) == int(_metrics(at)["Patients"].pop().replace(",", ""))

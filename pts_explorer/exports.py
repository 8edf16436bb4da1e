"""Exports of what a page shows: chart images, a self-contained HTML report, the cohort's
patient-level rows, and a reproducibility bundle. Built on demand (the page hands callables to its
download buttons), never while the page runs; nothing here imports Streamlit.
"""

from __future__ import annotations

import html
import importlib.metadata
import io
import json
import platform
import re
import textwrap
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from pts_explorer import db, derived, rendering
from pts_explorer.config import PROJECT_ROOT

SLIDE = {"width": 1600, "height": 900, "scale": 1.2}  # a 1920 x 1080 PNG
VERSIONED = ("duckdb", "pandas", "numpy", "scipy", "statsmodels", "lifelines", "plotly", "streamlit")
EXPORT_TABLES = ("patients", "visits", "procedures", "events")
# What the reproducibility script imports besides the published libraries (no Python library fits
# the MMRM or Gray's test as the app does, nor weights, matches and robust SEs as R's propensity-score
# packages do): copied into the bundle.
BUNDLED_MODULES = (
    "__init__.py",
    "vocab.py",
    "analytics/__init__.py",
    "analytics/mmrm.py",
    "analytics/competing.py",
    "analytics/baseline.py",
    "analytics/propensity.py",
)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    summary: str
    figure: Any  # the plotly figure as shown (not copied: a drawn figure is not changed afterwards)
    arms: str = ""  # the patients per arm the chart draws, in words ("112 stent, 111 medical"); "": the design's


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass(frozen=True)
class Method:
    """A "How this was computed" entry: the query that ran, its parameters, the method and the
    snippet that recomputes the number from the DuckDB file."""

    query: str
    params: dict
    method: str
    snippet: str


@dataclass(frozen=True)
class Design:
    """A page's statement of the design behind a comparison it shows, and the patients per arm of
    that analysis set as the page shows them (counts below k already hidden in an export)."""

    kind: str  # "randomized", "observational", "pooled randomized and observational", ...
    statement: str  # the sentence the page shows, as plain text
    arms: str  # "46 stent, 44 medical"


@dataclass(frozen=True)
class Result:
    """A result the page shows as key numbers (metrics), not as a table: its title, each number
    under its label as shown, and the words beside it (method, what the analysis leaves out)."""

    title: str
    values: dict[str, str]
    note: str = ""


@dataclass(frozen=True)
class Query:
    """A query the page ran, with the parameters it used."""

    name: str
    params: dict


@dataclass
class PageExport:
    """Everything a page showed in one run, in order."""

    page: str
    cohort: str  # the cohort in words
    query: dict[str, list[str]]  # the cohort and settings as the URL states them
    dataset: str
    synthetic: bool
    fingerprint: str
    protection: str  # small-cell protection, in words ("" when off)
    note: str = ""  # a saved cohort's note
    # The cohort's filters as URL parameters, written out also where `query` names a saved cohort by its link
    # (cohort=<slug>), which another server cannot open.
    filters: dict[str, list[str]] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    methods: list[Method] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)
    designs: list[Design] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the page's words beside its numbers, as plain text

    @property
    def stem(self) -> str:
        return "pts_" + "".join(c if c.isalnum() else "_" for c in self.page.lower()).strip("_")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# --- chart images -----------------------------------------------------------------------------------


def caption(page: PageExport, chart: Chart | None = None) -> list[str]:
    """The lines under an exported chart, so a slide made from it says what it shows: the page and
    its cohort, then the patients per arm the chart draws (the analysis set's when the chart states
    none of its own), the design and, when the file says so, synthetic data."""
    first = f"{page.page} · {page.cohort}"
    if page.designs:
        sets = list(dict.fromkeys((d.arms, d.kind) for d in page.designs))  # each analysis set once
        if chart is not None and chart.arms:
            kinds = " / ".join(dict.fromkeys(kind for _, kind in sets))
            second = f"n = {chart.arms} · {kinds}"
        else:
            second = "; ".join(f"n = {arms} · {kind}" for arms, kind in sets)
    elif chart is not None and chart.arms:
        second = f"n = {chart.arms} · design not stated on this page"
    else:
        second = "design not stated on this page"
    if page.synthetic:
        second += " · synthetic demo data, not real patients"
    return [first, f"{second} · {page.dataset}"]


CAPTION_LINE_PX = 26
CAPTION_CHARS = 170  # a line of 14 px text that fits the 1600 px image


TITLE_PAD_PX = 24  # between the image's left edge and its title


def for_export(figure: Any) -> Any:
    """A copy of the figure laid out for a file: axis labels and ticks get the margin they need
    (a fixed margin cuts long tick labels at the image's edge) and the title, placed at the left
    edge of the figure as the page's column places it, keeps a margin from the image's edge."""
    out = go.Figure(figure)
    out.update_xaxes(automargin=True)
    out.update_yaxes(automargin=True)
    if out.layout.title.text:
        out.update_layout(title_pad_l=TITLE_PAD_PX)
    return out


def captioned(figure: Any, lines: list[str]) -> Any:
    """A copy of the figure with the lines as a caption under the plot (text, never markup)."""
    lines = [part for line in lines for part in textwrap.wrap(line, CAPTION_CHARS) or [""]]  # within the width
    out = for_export(figure)
    bottom = (out.layout.margin.b if out.layout.margin.b is not None else 80) + CAPTION_LINE_PX * len(lines) + 10
    out.update_layout(margin={"b": bottom})
    out.add_annotation(
        text="<br>".join(html.escape(line, quote=False) for line in lines),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-(bottom - 10),
        xanchor="left",
        yanchor="bottom",
        align="left",
        showarrow=False,
        font={"size": 14, "color": "#444"},
        name="export_caption",
    )
    return out


def chart_image(figure: Any, fmt: str, lines: list[str] | None = None) -> bytes:
    """The chart as PNG (1920 x 1080, a slide) or SVG, rendered by kaleido in the machine's
    Chromium, kept open between images (pts_explorer.rendering); `lines`: a caption under it
    (see caption())."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"unknown image format {fmt!r}")
    figure = captioned(figure, lines) if lines else for_export(figure)
    opts = {"format": fmt, **SLIDE} if fmt == "png" else {"format": fmt, **SLIDE, "scale": 1}
    as_dict = figure.to_dict()
    try:
        return rendering.CHROMIUM.render(as_dict, opts)
    except Exception as exc:  # kaleido raises its own JavascriptError
        # Kaleido 1.5 can call into its tab before the page's script has defined kaleido_scopes when
        # the machine is busy (seen once under load); a second call gets a ready tab.
        if "kaleido_scopes is not defined" not in str(exc):
            raise
        return rendering.CHROMIUM.render(as_dict, opts)


# --- the HTML report ------------------------------------------------------------------------------

REPORT_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1000px;color:#222}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem}
.notice{background:#fff3e0;border-left:4px solid #e65100;padding:.5rem .8rem;margin:1rem 0}
.meta{color:#555;font-size:.9rem}table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f3f3f3}
pre{background:#f7f7f7;padding:.6rem;overflow-x:auto;font-size:.8rem;white-space:pre-wrap}
.chart,.table,.method{break-inside:avoid;page-break-inside:avoid;margin-bottom:1.2rem}
@media print{body{margin:0;max-width:none}.chart{width:100%}details{display:block}details>summary{display:none}}
"""


def _frame_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def plotly_text(text: str) -> str:
    """The text a plotly title shows: its line breaks as spaces, its other tags (bold, sub- and
    superscript) dropped and its entities (how a value of the data is written there) decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE)))


def _sql_file(name: str) -> str:
    """The file a query name stands for: 'queries/x.sql', or 'queries/x.sql over <population>'."""
    base, _, population = name.partition("@")
    return f"queries/{base}.sql" + (f" over queries/shared/{population}.sql" if population else "")


def report_html(page: PageExport) -> str:
    """One self-contained page: interactive charts (plotly.js inlined once, no request to the
    network), tables, the cohort, methods with their SQL and bound values, versions, the dataset."""
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(page.page)}: PTS Outcomes Explorer</title><style>{REPORT_CSS}</style></head><body>",
        f"<h1>{html.escape(page.page)}</h1>",
        f"<p class='meta'>PTS Outcomes Explorer report, {made}. Dataset <b>{html.escape(page.dataset)}</b> "
        f"(fingerprint <code>{html.escape(page.fingerprint)}</code>).</p>",
    ]
    if page.synthetic:
        parts.append(
            "<p class='notice'><b>Synthetic data.</b> Generated patients calibrated to published figures, not real "
            "people; not for clinical decisions.</p>"
        )
    parts.append(f"<p><b>Cohort:</b> {html.escape(page.cohort)}</p>")
    if page.note:
        parts.append(f"<p><b>Note:</b> {html.escape(page.note)}</p>")
    if page.protection:
        parts.append(f"<p class='meta'>{html.escape(page.protection)}</p>")
    for statement, arms in dict.fromkeys((d.statement, d.arms) for d in page.designs):
        statement = statement.removeprefix("Design: ")  # a statement that names itself, under its label once
        parts.append(f"<p class='design'><b>Design:</b> {html.escape(statement)} (n = {html.escape(arms)})</p>")
    for i, chart in enumerate(page.charts):
        figure = for_export(chart.figure)
        figure.update_layout(title_text="")  # the heading above it is its title
        drawn = pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=i == 0,  # inlined once: the report opens offline
            config={"displaylogo": False, "responsive": True},
        )
        parts.append(
            f"<div class='chart'><h2>{html.escape(plotly_text(chart.title))}</h2>{drawn}"
            f"<p class='meta'>{html.escape(chart.summary)}</p></div>"
        )
    for result in page.results:
        note = f"<p class='meta'>{html.escape(result.note)}</p>" if result.note else ""
        frame = pd.DataFrame([result.values])
        parts.append(f"<div class='table'><h2>{html.escape(result.title)}</h2>{_frame_html(frame)}{note}</div>")
    for table in page.tables:
        note = f"<p class='meta'>{html.escape(table.note)}</p>" if table.note else ""
        parts.append(f"<div class='table'><h2>{html.escape(table.title)}</h2>{_frame_html(table.frame)}{note}</div>")
    if page.notes:
        parts.append("<h2>Notes</h2>")
        parts.extend(f"<p class='note'>{html.escape(note)}</p>" for note in dict.fromkeys(page.notes))
    if page.methods:
        parts.append("<h2>Methods</h2>")
        for method in page.methods:
            text, bound = db.bind_params(method.query, method.params)
            parts.append(
                f"<div class='method'><p><b>{html.escape(method.method)}</b></p>"
                f"<details><summary>SQL: {html.escape(_sql_file(method.query))} with its bound values</summary>"
                f"<pre>{html.escape(json.dumps(bound, default=str))}</pre><pre>{html.escape(text)}</pre>"
                f"<p>Python that recomputes it from the DuckDB file:</p><pre>{html.escape(method.snippet)}</pre>"
                "</details></div>"
            )
    if page.queries:
        parts.append("<h2>The SQL that ran</h2>")
        for query in page.queries:
            text, bound = db.bind_params(query.name, query.params)
            parts.append(
                f"<details class='method'><summary>{html.escape(_sql_file(query.name))}</summary>"
                f"<pre>{html.escape(json.dumps(bound, default=str))}</pre><pre>{html.escape(text)}</pre></details>"
            )
    versions_table = pd.DataFrame(sorted(versions().items()), columns=["Software", "Version"])
    parts.append(f"<h2>Software</h2>{_frame_html(versions_table)}")
    parts.append(
        f"<p class='meta'>The view's address (cohort and settings): "
        f"<code>{html.escape(json.dumps(page.query))}</code></p></body></html>"
    )
    return "".join(parts)


# --- the cohort's patient rows --------------------------------------------------------------------


class TooFewPatients(ValueError):
    """A patient-level export of a cohort smaller than the small-cell threshold."""


@dataclass(frozen=True)
class PatientRows:
    """A page's analysed patients, one row each (the Target trial page's score, weight, outcome and
    whether each was analysed), with an R script that recomputes the page's estimate from them."""

    name: str  # the CSV's file name
    frame: pd.DataFrame
    r_script: str
    readme: str  # what the columns are, plain text


def patient_rows(rows: PatientRows, page: PageExport, k: int) -> bytes:
    """A zip of the page's analysed patients (CSV), the R script and a README. Refused for fewer
    than k patients (k > 0), as the cohort's patient rows are."""
    if k and len(rows.frame) < k:
        raise TooFewPatients(f"fewer than {k} patients: small-cell protection forbids a patient-level export")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(rows.name, rows.frame.to_csv(index=False))
        archive.writestr("reproduce.R", rows.r_script)
        archive.writestr(
            "README.txt",
            f"{page.page}: the analysed patients of one view\nCohort: {page.cohort}\nDataset: {page.dataset} "
            f"(fingerprint {page.fingerprint})\n\n{rows.readme}\n\nRscript reproduce.R {rows.name}\n",
        )
    return buffer.getvalue()


def cohort_rows(con: duckdb.DuckDBPyConnection, params: dict, fmt: str, page: PageExport, k: int) -> bytes:
    """A zip of the cohort's patients, visits, procedures and events (CSV or Parquet), with a data
    dictionary and the filter that defined the cohort. Refused for fewer than k patients (k > 0)."""
    frames = {table: db.run_query(con, f"export_{table}", params) for table in EXPORT_TABLES}
    patients = len(frames["patients"])
    if k and patients < k:
        raise TooFewPatients(
            f"the cohort has fewer than {k} patients: small-cell protection forbids a patient-level export"
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table, frame in frames.items():
            if fmt == "csv":
                archive.writestr(f"{table}.csv", frame.to_csv(index=False))
            else:
                archive.writestr(f"{table}.parquet", _parquet(frame))
        archive.writestr("data_dictionary.csv", data_dictionary().to_csv(index=False))
        archive.writestr("cohort.json", json.dumps(_cohort_json(page, patients), indent=2))
        archive.writestr("README.txt", _rows_readme(page, fmt, patients))
    return buffer.getvalue()


def _parquet(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    return out.getvalue()


def data_dictionary() -> pd.DataFrame:
    """Table, column, type and whether it is required, from the contract's DDL."""
    from pts_explorer import validation

    rows = []
    for table in EXPORT_TABLES:
        for column in validation.contract().columns[table].values():
            kind = "derived from the other columns" if column.generated else ("required" if column.not_null else "")
            rows.append({"table": table, "column": column.name, "type": column.type, "note": kind})
    return pd.DataFrame(rows)


def _cohort_json(page: PageExport, patients: int) -> dict[str, Any]:
    return {
        "cohort": page.cohort,
        "url_query": page.query,
        "filters": page.filters,
        "patients": patients,
        "dataset": page.dataset,
        "synthetic": page.synthetic,
        "fingerprint": page.fingerprint,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": page.note,
    }


def _rows_readme(page: PageExport, fmt: str, patients: int) -> str:
    synthetic = "SYNTHETIC DATA: generated patients, not real people.\n\n" if page.synthetic else ""
    return synthetic + textwrap.dedent(
        f"""\
        PTS Outcomes Explorer: the patient-level rows of one cohort ({fmt.upper()}).

        Cohort: {page.cohort} ({patients:,} patients)
        Dataset: {page.dataset} (fingerprint {page.fingerprint})

        patients, visits, procedures, events: the contract tables, restricted to the cohort's patients.
        data_dictionary.csv: every column with its type; the data contract is in the project's data/README.md.
        cohort.json: the filter that defined the cohort (the app's URL parameters).
        """
    )


# --- the reproducibility bundle --------------------------------------------------------------------


def bundle(page: PageExport, database: Path) -> bytes:
    """A zip that recomputes the page's numbers elsewhere: the filter, every SQL file with its bound
    parameters, a script (`python reproduce.py [DB_FILE]`), the modules it needs, pinned
    requirements and the dataset's fingerprint, which the script checks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        filter_json = {"cohort": page.cohort, "url_query": page.query, "filters": page.filters}
        archive.writestr("filter.json", json.dumps(filter_json, indent=2))
        ran = [(m.query, m.params) for m in page.methods] + [(q.name, q.params) for q in page.queries]
        for i, (name, params) in enumerate(ran, start=1):
            text, bound = db.bind_params(name, params)
            archive.writestr(f"queries/{i:02d}_{name}.sql", text + "\n")
            archive.writestr(f"queries/{i:02d}_{name}.params.json", json.dumps(bound, indent=2, default=str))
        archive.writestr("reproduce.py", reproduce_script(page, database))
        archive.writestr("requirements.txt", _pinned_requirements())
        for module in BUNDLED_MODULES:
            archive.write(PROJECT_ROOT / "pts_explorer" / module, f"pts_explorer/{module}")
        archive.writestr("README.txt", _bundle_readme(page))
    return buffer.getvalue()


def reproduce_script(page: PageExport, database: Path) -> str:
    """Each number of the page as a function (the "How this was computed" snippets, verbatim but
    for the file they read), run in turn; results go to results.json."""
    functions = []
    for i, method in enumerate(page.methods, start=1):
        snippet = method.snippet.replace(repr(Path(database).name), "DB")
        body = textwrap.indent(snippet, "    ")
        functions.append(f'def number_{i:02d}():\n    """{method.method}"""\n{body}\n    return result\n')
    calls = ", ".join(f"number_{i:02d}" for i in range(1, len(page.methods) + 1))
    return (
        f'"""Recompute the numbers of "{page.page}" (PTS Outcomes Explorer) from the DuckDB file.\n\n'
        f"    python reproduce.py [DB_FILE]   (default: $PTS_DB, else {database.name} beside this script)\n\n"
        f"Cohort: {page.cohort}\n"
        f"Dataset: {page.dataset} (fingerprint {page.fingerprint}); the script checks it first.\n"
        '"""\n\n'
        "import hashlib\nimport json\nimport os\nimport sys\n\nimport duckdb\n\n"
        f"DB = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('PTS_DB') or {repr(Path(database).name)}\n"
        f"FINGERPRINT = {page.fingerprint!r}\n"
        f"FINGERPRINT_SQL = {derived.FINGERPRINT!r}\n\n\n" + "\n\n".join(functions) + "\n\ndef main():\n"
        "    con = duckdb.connect(DB, read_only=True)\n"
        "    (found,) = con.execute(FINGERPRINT_SQL).fetchone()\n"
        "    con.close()\n"
        "    if FINGERPRINT not in (found, 'sha256:' + hashlib.sha256(found.encode('utf-8')).hexdigest()):\n"
        "        print(f'warning: {DB} is not the file this page was computed on (fingerprint {found})')\n"
        f"    numbers = ({calls}{',' if len(page.methods) == 1 else ''})\n"
        "    if not numbers:  # a view that showed no number (an empty cohort): nothing to reproduce\n"
        "        sys.exit('nothing to reproduce: this view of the page computed no number')\n"
        "    results = {f.__name__: _plain(f()) for f in numbers}\n"
        "    with open('results.json', 'w') as handle:\n"
        "        json.dump(results, handle, indent=2)\n"
        "    print('wrote results.json')\n\n\n"
        "def _plain(value):\n"
        "    if hasattr(value, 'columns'):  # a pandas table: its index (what each row is) as columns\n"
        "        named = any(name is not None for name in value.index.names)\n"
        "        value = (value.reset_index() if named else value).to_dict(orient='list')\n"
        "    elif hasattr(value, 'to_dict'):  # a pandas series\n"
        "        value = value.to_dict()\n"
        "    if isinstance(value, dict):\n"
        "        return {str(k): _plain(v) for k, v in value.items()}\n"
        "    if isinstance(value, (list, tuple)):\n"
        "        return [_plain(v) for v in value]\n"
        "    try:\n"
        "        return float(value)\n"
        "    except (TypeError, ValueError):\n"
        "        return str(value)\n\n\n"
        "if __name__ == '__main__':\n    main()\n"
    )


BUNDLED_REQUIREMENTS = ("duckdb", "pandas", "numpy", "scipy", "statsmodels", "patsy", "lifelines", "pyarrow")


def _pinned_requirements() -> str:
    """The libraries reproduce.py needs, at the versions that computed the page (those of uv.lock
    when the venv was installed by make)."""
    return "".join(f"{name}=={importlib.metadata.version(name)}\n" for name in BUNDLED_REQUIREMENTS)


def _bundle_readme(page: PageExport) -> str:
    synthetic = "SYNTHETIC DATA: generated patients, not real people.\n\n" if page.synthetic else ""
    return synthetic + textwrap.dedent(
        f"""\
        Reproduce "{page.page}" of PTS Outcomes Explorer.

        1. python -m venv .venv && .venv/bin/pip install -r requirements.txt
        2. .venv/bin/python reproduce.py /path/to/the/outcomes.duckdb

        reproduce.py recomputes each number of the page and writes results.json. It first checks that the
        file is the one the page was computed on (dataset {page.dataset}, fingerprint {page.fingerprint}).
        queries/: every SQL file as it ran, with its bound parameters. filter.json: the cohort and settings,
        and the cohort's filters written out (a saved cohort's too).
        pts_explorer/: the app's own MMRM, Gray's test and propensity-score analyses (no published Python
        library fits them the same way).
        """
    )

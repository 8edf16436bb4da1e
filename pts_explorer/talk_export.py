"""A talk taken away: one self-contained HTML file (its slides as sections, each slide's key chart
interactive, stepped with a clicker's keys, speaker notes hidden until N is pressed; plotly.js
inlined once, so it opens offline and asks the network for nothing) and a PDF of its slides, one
landscape page per slide, printed from that file by the machine's Chromium.

A slide's content is what the app presents for it (pts_explorer.ui.talk_slides draws each slide
with its page): its key chart as a plotly figure, and its presenter line as text (the talk's place
and the slide's title, the page, the cohort, n per arm, the design, the synthetic mark and the
small-cell rule, which presenter mode always applies). Every text from the data or from users is
written as text (escaped), never as markup. Nothing here imports Streamlit.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from plotly.offline import get_plotlyjs

PAGE_WIDTH_PX, PAGE_HEIGHT_PX = 1280, 720  # a PDF page: 16:9 landscape (13.33 x 7.5 in, a widescreen slide)
# The presenter line's and the key numbers' type at 1280x720, as the app's slide (README's table: 1.15 rem);
# on a larger window every type of the file, the charts' too, grows as the app's does (SCRIPT's scale).
LINE_PX = 18.4
PDF_TIMEOUT_SECONDS = 120
PDF_TIME_BUDGET_MS = 20_000  # virtual time Chromium gives the page's script (drawing every chart) before printing


class ExportError(ValueError):
    """A talk that cannot be exported, and why (each slide that cannot be, by its number and title)."""


@dataclass(frozen=True)
class SlideContent:
    """One slide as presented: its place, title and notes, the page it shows, the presenter line as
    text, its key chart (a plotly figure as JSON) with the chart's one-line summary, and the key
    numbers the slide writes under the chart, as text ("" on a page that writes none). A slide whose
    page draws no chart for its cohort and settings (Candidate saved without a profile) is a text
    slide: no figure (""), and `said`, what its page shows the presenter instead, as text."""

    position: int
    title: str
    notes: str
    page: str
    line: str
    figure: str
    summary: str = ""
    numbers: str = ""
    said: str = ""

    @property
    def text_only(self) -> bool:
        return not self.figure


@dataclass(frozen=True)
class TalkContent:
    title: str
    dataset: str  # the dataset's name, as the file states it
    data_file: str  # the file (or folder) the app served
    synthetic: bool
    slides: tuple[SlideContent, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TalkContent:
        slides = tuple(SlideContent(**s) for s in data["slides"])
        return cls(**{**data, "slides": slides})

    @property
    def stem(self) -> str:
        """A file name for the talk's exports."""
        return "pts_talk_" + (re.sub(r"[^0-9a-z]+", "_", self.title.lower()).strip("_")[:60] or "untitled")


def _json_in_script(text: str) -> str:
    """JSON inside a <script> element: no "<" (so no "</script>" or "<!--" can end or open anything
    in it), written as the escape JSON reads back as the same character."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


CSS = f"""
* {{ box-sizing: border-box; }}
html, body {{ margin: 0; height: 100%; background: #fff; color: #1f2328;
  font-family: "Source Sans Pro", "Source Sans 3", "Helvetica Neue", Arial, sans-serif; }}
section.slide {{ display: flex; flex-direction: column; height: 100vh; padding: 14px 28px 10px; }}
section.slide[hidden] {{ display: none; }}
p.line {{ margin: 0 0 6px; font-size: calc({LINE_PX}px * var(--scale, 1)); line-height: 1.35; }}
p.line .title {{ font-weight: 700; }}
p.numbers {{ margin: 4px 0 6px; font-size: calc({LINE_PX}px * var(--scale, 1)); line-height: 1.35; }}
.chart {{ flex: 1 1 auto; min-height: 0; }}
.said {{ flex: 1 1 auto; min-height: 0; display: flex; align-items: center; justify-content: center; margin: 0;
  padding: 0 8%; text-align: center; font-size: calc(28px * var(--scale, 1)); line-height: 1.35; color: #1f2328; }}
footer {{ display: flex; gap: 16px; flex-wrap: wrap; font-size: 13px; color: #444; padding-top: 6px;
  border-top: 1px solid #d0d7de; }}
footer .synthetic {{ color: #8a4b00; background: #fff1de; padding: 0 6px; border-radius: 4px; font-weight: 600; }}
.notes {{ flex: 0 0 auto; order: 3; max-height: 30vh; overflow: auto; margin: 6px -28px -10px;
  padding: 10px 28px; background: #fffbe6; border-top: 2px solid #d4a72c; font-size: 18px; white-space: pre-wrap; }}
body:not(.notes-shown) .notes {{ display: none; }}
.keys {{ color: #57606a; margin-left: auto; }}
body.print section.slide {{ width: {PAGE_WIDTH_PX}px; height: {PAGE_HEIGHT_PX}px; overflow: hidden; }}
body.print .modebar-container, body.print .keys {{ display: none; }}
.failed {{ color: #b42318; font-size: 18px; }}
@page {{ size: {PAGE_WIDTH_PX}px {PAGE_HEIGHT_PX}px; margin: 0; }}
@media print {{
  section.slide, section.slide[hidden] {{ display: flex; width: {PAGE_WIDTH_PX}px; height: {PAGE_HEIGHT_PX}px;
    overflow: hidden; break-after: page; page-break-after: always; }}
  section.slide:last-of-type {{ break-after: auto; page-break-after: auto; }}
  .notes, .keys, .modebar-container {{ display: none !important; }}
}}
"""

# Keys (a presentation clicker sends the first ones): ArrowRight, PageDown or Space the next slide;
# ArrowLeft or PageUp the previous; Home and End the first and the last; N shows or hides the notes,
# which then take their own room at the slide's foot, the chart redrawn in what is left (review 9: a
# notes bar laid over the slide covered the chart's axis title at 1280x720).
# The listener is on the document in the capture phase, so a chart that has the focus keeps no key.
# A slide's chart is drawn when the slide is first shown (a chart drawn while hidden has no size);
# for print every slide is shown and drawn first. A text slide (its page draws no chart) has nothing to draw.
# Type grows with the window as on the app's slide (charts/presenter.py, README's table): every size is
# multiplied by min(width / 1280, height / 720), kept between 1 and 3 (a printed page is 1280x720: 1).
# The figures are the app's at 1280x720; each font's size (chart title 26, axis titles and legend 18,
# ticks 16 px), the margins, the legend's symbols and the lines, markers and error bars are scaled when
# a slide is drawn, and drawn again when the window's scale changes.
SCRIPT = """
(() => {
  const slides = Array.from(document.querySelectorAll("section.slide"));
  const drawn = new Map();  // slide -> the scale it was drawn at
  let current = 0;
  const printing = () => document.body.classList.contains("print");
  const scale = () => printing() ? 1 :
    Math.min(3, Math.max(1, Math.min(window.innerWidth / 1280, window.innerHeight / 720)));
  const FONTS = new Set(["font", "tickfont", "textfont", "insidetextfont", "outsidetextfont", "titlefont"]);
  const times = (value, s) => typeof value === "number" ? value * s :
    Array.isArray(value) ? value.map((v) => typeof v === "number" ? v * s : v) : value;
  const grow = (node, s) => {  // every font's size in a figure's part, however deep
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (FONTS.has(key) && value && typeof value === "object" && !Array.isArray(value) && "size" in value) {
        value.size = times(value.size, s);
      }
      grow(value, s);
    }
  };
  const scaled = (figure, s) => {
    const data = figure.data || [];
    const layout = Object.assign({}, figure.layout || {}, {autosize: true});
    delete layout.width; delete layout.height;
    if (s === 1) return [data, layout];
    grow(data, s); grow(layout, s);
    if (layout.margin) for (const side of ["l", "r", "t", "b"]) layout.margin[side] = times(layout.margin[side], s);
    if (layout.legend) layout.legend.itemwidth = Math.max(30, (layout.legend.itemwidth || 30) * s);
    for (const trace of data) {  // as charts/presenter.py's _thicker, plotly's defaults where unset
      if ((trace.type || "scatter") === "scatter") {
        const mode = trace.mode || "lines";
        if (mode.includes("lines") || trace.fill) {
          trace.line = Object.assign({}, trace.line);
          trace.line.width = (typeof trace.line.width === "number" ? trace.line.width : 2) * s;
        }
        const size = trace.marker ? trace.marker.size : undefined;
        const one = size === undefined || size === null || typeof size === "number";  // not a size per point
        if ((trace.mode || "").includes("markers") && one) {
          trace.marker = Object.assign({}, trace.marker);
          trace.marker.size = (typeof size === "number" ? size : 6) * s;
        }
      }
      for (const bars of ["error_x", "error_y"]) {
        const error = trace[bars];
        if (error && error.visible !== false && (error.array !== undefined || error.type)) {
          error.thickness = (typeof error.thickness === "number" ? error.thickness : 2) * s;
          error.width = (typeof error.width === "number" ? error.width : 4) * s;
        }
      }
    }
    for (const shape of layout.shapes || []) {
      if (shape.line && typeof shape.line.width === "number") shape.line.width *= s;
    }
    return [data, layout];
  };
  const draw = (i) => {
    const box = slides[i].querySelector(".chart");
    const s = scale();
    document.documentElement.style.setProperty("--scale", String(s));
    if (!box) return;  // a text slide: its type follows --scale
    if (drawn.get(i) === s) { Plotly.Plots.resize(box); return; }
    drawn.set(i, s);
    try {
      const [data, layout] = scaled(JSON.parse(slides[i].querySelector("script.figure").textContent), s);
      Plotly.newPlot(box, data, layout, {displaylogo: false, responsive: true});
    } catch (error) {  // said on the slide (and so in the PDF), never a blank slide
      box.textContent = "This chart could not be drawn in this browser: " + error;
      box.classList.add("failed");
    }
  };
  const show = (i) => {
    current = Math.max(0, Math.min(slides.length - 1, i));
    slides.forEach((s, j) => { s.hidden = j !== current; });
    draw(current);
    document.body.dataset.slide = String(current + 1);
    try { history.replaceState(null, "", "#slide-" + (current + 1)); } catch (e) { /* a file:// page may refuse */ }
  };
  const drawAll = () => {
    slides.forEach((s) => { s.hidden = false; });
    slides.forEach((s, i) => draw(i));
  };
  const steps = {ArrowRight: 1, PageDown: 1, " ": 1, ArrowLeft: -1, PageUp: -1};
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key in steps) show(current + steps[event.key]);
    else if (event.key === "Home") show(0);
    else if (event.key === "End") show(slides.length - 1);
    else if (event.key === "n" || event.key === "N") {
      // The notes take their room under the slide's footer: the chart gives it up (nothing covered).
      document.body.classList.toggle("notes-shown");
      if (drawn.has(current)) Plotly.Plots.resize(slides[current].querySelector(".chart"));
    }
    else return;
    event.preventDefault();
    event.stopPropagation();
  }, true);
  window.addEventListener("resize", () => { if (drawn.has(current) && drawn.get(current) !== scale()) draw(current); });
  window.addEventListener("beforeprint", drawAll);
  window.addEventListener("afterprint", () => show(current));
  if (document.body.classList.contains("print")) { drawAll(); document.body.dataset.ready = "1"; return; }
  const asked = () => { const m = /^#slide-(\\d+)$/.exec(location.hash); return m ? Number(m[1]) - 1 : null; };
  // A #slide-n typed into the address of the open file (or a link to it) goes there too.
  window.addEventListener("hashchange", () => { const i = asked(); if (i !== null && i !== current) show(i); });
  show(asked() ?? 0);
  document.body.dataset.ready = "1";
})();
"""


def _line(slide: SlideContent, count: int) -> str:
    """The presenter line as HTML: its text escaped, the slide's title (after "Slide n of N: ") marked."""
    lead = f"Slide {slide.position} of {count}: "
    if slide.line.startswith(lead + slide.title):
        rest = slide.line[len(lead) + len(slide.title) :]
        return f"{html.escape(lead)}<span class='title'>{html.escape(slide.title)}</span>{html.escape(rest)}"
    return html.escape(slide.line)


def talk_html(talk: TalkContent, exported_at: datetime | None = None, print_all: bool = False) -> str:
    """The talk as one self-contained HTML file; `print_all`: every slide shown and drawn at once,
    one per page (what the PDF is printed from)."""
    if not talk.slides:
        raise ExportError(f"The talk {talk.title!r} has no slides yet: add views to it first.")
    made = (exported_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    count = len(talk.slides)
    mark = (
        "<span class='synthetic'>Synthetic data: generated patients, not real people</span>" if talk.synthetic else ""
    )
    data = f"Data: {html.escape(talk.dataset)} ({html.escape(talk.data_file)})"
    sections = []
    for slide in talk.slides:
        notes = html.escape(slide.notes) if slide.notes else "No speaker notes for this slide."
        shown = (  # the key chart, or on a text slide what its page shows the presenter instead
            f"<p class='said'>{html.escape(slide.said)}</p>"
            if slide.text_only
            else f"<div class='chart' role='img' aria-label='{html.escape(slide.summary)}'></div>"
            f"<script type='application/json' class='figure'>{_json_in_script(slide.figure)}</script>"
        )
        sections.append(
            f"<section class='slide' id='slide-{slide.position}' aria-label='Slide {slide.position} of {count}'"
            f"{'' if print_all or slide.position == 1 else ' hidden'}>"
            f"<p class='line'>{_line(slide, count)}</p>"
            + shown
            + (f"<p class='numbers'>{html.escape(slide.numbers)}</p>" if slide.numbers else "")
            + f"<footer><span class='talk'>{html.escape(talk.title)}</span>{mark}<span>{data}</span>"
            f"<span>Exported {made}</span><span class='keys'>→ next · ← previous · N notes</span></footer>"
            f"<aside class='notes' aria-label='Speaker notes'>Speaker notes, slide {slide.position}: {notes}</aside>"
            "</section>"
        )
    body = "<body class='print'>" if print_all else "<body>"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(talk.title)}: PTS Outcomes Explorer talk</title><style>{CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head>"
        f"{body}{''.join(sections)}<script>{SCRIPT}</script></body></html>"
    )


def _chromium() -> str:
    found = (
        os.environ.get("BROWSER_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if not found:
        raise ExportError("The PDF is printed by Chromium, and none is installed here (Debian: apt install chromium).")
    return found


def talk_pdf(talk: TalkContent, exported_at: datetime | None = None) -> bytes:
    """The talk's slides as a PDF, one 16:9 landscape page per slide: the HTML export with every
    slide shown, printed by the machine's Chromium (headless)."""
    page = talk_html(talk, exported_at, print_all=True)
    with tempfile.TemporaryDirectory(prefix="pts-talk-") as folder:
        source, out = Path(folder) / "talk.html", Path(folder) / "talk.pdf"
        source.write_text(page, encoding="utf-8")
        command = [
            _chromium(),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-unsafe-swiftshader",  # WebGL (plotly's scattergl) without a GPU
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            f"--virtual-time-budget={PDF_TIME_BUDGET_MS}",
            f"--print-to-pdf={out}",
            source.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as slow:
            raise ExportError(f"Chromium took more than {PDF_TIMEOUT_SECONDS} s to print the talk.") from slow
        if not out.exists() or out.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise ExportError(f"Chromium printed no PDF of the talk ({last}).")
        return out.read_bytes()

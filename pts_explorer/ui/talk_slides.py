"""A talk's downloads on the Talks page (one HTML file, a PDF), and each of its slides as the app
presents it, for those exports (pts_explorer.talk_export):
the slide's page runs with the slide's settings in presenter mode (small cells hidden, the talk's
place in the line), headless, and the slide is what that run drew: its key chart (the figure the
presenter sees) and its presenter line, as text; a page that draws no chart for the slide (Candidate
saved without a profile) gives a text slide: what it shows the presenter instead, in words.

The pages are Streamlit scripts: their key chart and the analysis set the line states are computed
in the page, interleaved with its controls (ten pages, each its own analysis). Rather than a second
copy of each page's analysis for the export (two copies that could come apart), the export runs the
page itself, with Streamlit's headless runner (streamlit.testing's AppTest). That runner replaces
Streamlit's runtime in its process, so it never runs inside the server: `collect` starts
`python -m pts_explorer.ui.talk_slides <talk>`, which prints the slides as JSON.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from pts_explorer import config, escape, exports, talk_export, workspace
from pts_explorer.config import PROJECT_ROOT

_PREPARED = "_talk_export"  # (the talk's slides as prepared, the content or why not, when)
TIMEOUT_SECONDS = 600  # a whole talk: a page's run takes 1-6 s on the 2-core machine, 200 slides at most
# A text slide's words where its page drew no chart and said nothing instead.
NO_CHART = "This slide's page draws no chart for its cohort and settings."


def collect(slug: str) -> talk_export.TalkContent:
    """The talk `slug` as its slides are presented now, on the data served now; raises
    talk_export.ExportError naming each slide that cannot be exported and why."""
    env = {
        **os.environ,
        "PTS_DB": str(config.db_path().resolve()),
        "PTS_WORKSPACE": str(config.workspace_path().resolve()),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pts_explorer.ui.talk_slides", slug],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as slow:
        raise talk_export.ExportError(
            f"Drawing the talk's slides took more than {TIMEOUT_SECONDS} s: try again when the server is less busy, "
            "or split the talk."
        ) from slow
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None
    except json.JSONDecodeError:
        answer = None
    if done.returncode != 0 or not isinstance(answer, dict):
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise talk_export.ExportError(f"Drawing the talk's slides failed ({last}).")
    if answer.get("errors"):
        raise talk_export.ExportError(" ".join(answer["errors"]))
    return talk_export.TalkContent.from_dict(answer["talk"])


def _drawn_from(talk: workspace.Talk) -> tuple:
    """What a talk's export is drawn from: its title and each slide's page, settings, title and notes."""
    return (
        talk.slug,
        talk.title,
        tuple((s.id, s.position, s.page, repr(s.query), s.title, s.notes) for s in talk.slides),
    )


def downloads(talk: workspace.Talk) -> None:
    """The talk's Download popover: Prepare draws every slide now (its page, on the data served now,
    small cells hidden), then "Download as HTML" and "Download as PDF"; a slide whose page draws no chart
    is exported as a text slide, and said so; a slide that cannot be drawn at all (its page gone or
    failing) is named, with why, and nothing is offered."""
    with st.popover(
        "Download", icon=":material/download:", type="tertiary", help="The talk as one HTML file or as a PDF"
    ):
        st.caption(
            "**HTML**: one file that opens offline in any browser; the charts stay interactive, the arrow keys, "
            "Page Up/Down and Space step the slides (a clicker too), **N** shows the speaker notes. **PDF**: one "
            "landscape page per slide. Each slide is drawn now from the data served, as presented (small cells "
            "hidden); preparing takes a few seconds per slide."
        )
        if st.button("Prepare the downloads", key="talk_export_prepare", icon=":material/tune:"):
            made = datetime.now(UTC)
            with st.spinner(f"Drawing {len(talk.slides)} slides…"):
                try:
                    st.session_state[_PREPARED] = (_drawn_from(talk), collect(talk.slug), made)
                except talk_export.ExportError as problem:
                    st.session_state[_PREPARED] = (_drawn_from(talk), str(problem), made)
        prepared = st.session_state.get(_PREPARED)
        if prepared is None or prepared[0][0] != talk.slug:
            return
        if prepared[0] != _drawn_from(talk):
            st.info("The talk changed after the downloads were prepared: prepare them again.", icon=":material/info:")
            return
        _, content, made = prepared
        if isinstance(content, str):
            st.error(escape.markdown(content), icon=":material/error:")
            return
        st.download_button(
            "Download as HTML",
            lambda: talk_export.talk_html(content, made),  # built when pressed, not on every run of the page
            file_name=f"{content.stem}.html",
            mime="text/html",
            key="talk_export_html",
            on_click="ignore",
            icon=":material/html:",
        )
        st.download_button(
            "Download as PDF",
            lambda: talk_export.talk_pdf(content, made),
            file_name=f"{content.stem}.pdf",
            mime="application/pdf",
            key="talk_export_pdf",
            on_click="ignore",
            icon=":material/picture_as_pdf:",
        )
        st.caption(f"Drawn {made:%Y-%m-%d %H:%M} UTC, {len(content.slides)} slides.")
        for slide in content.slides:
            if slide.text_only:
                st.info(text_slide_note(slide), icon=":material/notes:")


def text_slide_note(slide: talk_export.SlideContent) -> str:
    """What the Talks page says of a slide the downloads show as text (Markdown: the title is a user's)."""
    return (
        f"**Slide {slide.position} ({escape.markdown(slide.title)}) is a text slide**: its page draws no chart for "
        "its cohort and settings, so the downloads show in words what the presenter sees there."
    )


def _slide(app: Any, talk: workspace.Talk, slide: workspace.Slide) -> talk_export.SlideContent | str:
    """Slide `slide` drawn by its page, or why it cannot be exported (a sentence naming it)."""
    from streamlit.testing.v1 import AppTest

    from pts_explorer.ui import presenter, recorder, screen, talks

    named = f"Slide {slide.position} ({slide.title!r})"
    spec = talks.page_of(slide)
    if spec is None:
        return f"{named} shows the page {slide.page!r}, which this app no longer has: delete it, or add the view again."
    script, query = talks.slide_target(talk, slide.position)
    at = AppTest.from_file(app, default_timeout=TIMEOUT_SECONDS)
    for key, values in query.items():
        at.query_params[key] = values
    at.run()
    at.switch_page(script).run()
    if at.exception:
        return f"{named}: its page {spec.title!r} failed ({at.exception[0].message})."
    drawn = {
        k: at.session_state[k] for k in (recorder.ITEMS, presenter.LINE, screen.NUMBERS_LINE) if k in at.session_state
    }
    key_chart = next((c for c in drawn.get(recorder.ITEMS, {}).get("charts", []) if c.key == spec.key_chart), None)
    if presenter.LINE not in drawn:
        return f"{named}: its page {spec.title!r} drew no presenter line (its cohort, n and design) for the slide."
    slide_of = functools.partial(
        talk_export.SlideContent,
        position=slide.position,
        title=slide.title,
        notes=slide.notes,
        page=spec.title,
        line=escape.markdown_text(drawn[presenter.LINE]),
    )
    if key_chart is None:  # a text slide: what the page shows the presenter instead (review 27d, finding 4)
        said = [escape.markdown_text(e.value) for kind in (at.error, at.warning, at.info) for e in kind]
        return slide_of(figure="", said=" ".join(said) or NO_CHART)
    return slide_of(
        numbers=escape.markdown_text(drawn.get(screen.NUMBERS_LINE) or ""),  # the line under the chart, as drawn
        figure=exports.for_export(key_chart.figure).to_json(),  # tick labels get the margin they need
        summary=key_chart.summary,
    )


def _main(slug: str) -> dict[str, Any]:
    from pts_explorer import db

    space = workspace.Workspace(config.workspace_path())
    talk = space.talk(slug)
    if talk is None:
        return {"errors": [f"No talk is called {slug!r} here (deleted, or kept in another workspace)."]}
    if not talk.slides:
        return {"errors": [f"The talk {talk.title!r} has no slides yet: add views to it first."]}
    app = str(PROJECT_ROOT / "app.py")
    drawn = [_slide(app, talk, slide) for slide in talk.slides]
    errors = [d for d in drawn if isinstance(d, str)]
    if errors:
        return {"errors": errors}
    con = db.open_read_only(config.db_path())
    try:
        info = con.execute("SELECT dataset_name, synthetic FROM dataset_info").fetchone()
    finally:
        con.close()
    if info is None:  # the pages ran on it, so its contract checks passed: one row
        return {"errors": ["The data file has no dataset_info row (its name and whether it is synthetic)."]}
    content = talk_export.TalkContent(
        title=talk.title,
        dataset=str(info[0]),
        data_file=config.db_path().name,
        synthetic=bool(info[1]),
        slides=tuple(d for d in drawn if isinstance(d, talk_export.SlideContent)),
    )
    return {"talk": content.as_dict()}


if __name__ == "__main__":
    print(json.dumps(_main(sys.argv[1])))

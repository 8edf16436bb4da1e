"""The Import page's parts: profiles on offer, uploads saved safely, the report shown."""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from pts_explorer import atomic, config, db, escape
from pts_explorer.importer import ImportReport, assistant, assistant_choices, builtin_names
from pts_explorer.importer.formats import FORMATS, load
from pts_explorer.importer.formats.base import procedure_details, procedure_label
from pts_explorer.importer.profiles import Profile, ProfileError
from pts_explorer.ui import auth


def import_profiles() -> dict[str, str]:
    """Built-in profiles by name (the contract's own layout first), then the copies in the profiles
    folder by path: reference -> what the picker shows, the name the profile goes by (its [profile]
    name, the one reports and the Overview use) with its file beside it. Plain text: a select box's
    options are not read as Markdown."""
    offered = {name: name for name in sorted(builtin_names(), key=lambda n: (n != "contract", n))}
    folder = config.user_profiles_dir()
    if folder.is_dir():
        offered |= {str(p): f"{profile_name(str(p))} (profiles/{p.name})" for p in sorted(folder.glob("*.toml"))}
    return offered


def _profile_table(ref: str) -> dict[str, Any]:
    """The [profile] table of a profile file (empty when it cannot be read)."""
    try:
        table = tomllib.loads(Path(ref).read_text(encoding="utf-8")).get("profile")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return table if isinstance(table, dict) else {}


def profile_name(ref: str) -> str:
    """The name a profile goes by: a built-in's own; a file's [profile] name (the name reports, the
    command line and the Overview's dataset line give it), else its file name without .toml."""
    if not ref.endswith(".toml"):
        return ref
    name = _profile_table(ref).get("name")
    return str(name) if isinstance(name, str) and name.strip() else Path(ref).stem


def profile_caption(ref: str) -> str:
    """The picker's caption, as Markdown: the profile's name (and its file, for a copy) and what it
    reads; a copy's name and description are the user's text, escaped."""
    if not ref.endswith(".toml"):
        chosen = FORMATS.get(ref)
        return f"**{ref}**: {chosen.help if chosen else ref}."
    what = str(_profile_table(ref).get("description") or "an edited copy of a profile").rstrip(".")
    return f"**{escape.markdown(profile_name(ref))}** ({profile_file(ref)}): {escape.markdown(what)}."


def profile_file(ref: str) -> str:
    """A copy's file, `profiles/<name>.toml`, as Markdown: in a code span, where it reads as it is (no
    backslash shows), unless its name holds a backtick (a file put there by hand), then escaped."""
    shown = f"profiles/{Path(ref).name}"
    return escape.markdown(shown) if "`" in shown else f"`{shown}`"


def save_uploads(uploads: list[Any], folder: Path) -> list[Path]:
    """Uploaded files written into `folder` under their base name only (never a path from the browser)."""
    saved = []
    for i, upload in enumerate(uploads):
        name = Path(upload.name).name.lstrip(".") or f"upload-{i}"
        target = folder / name
        if target.exists():
            target = folder / f"{target.stem}-{i}{target.suffix}"
        target.write_bytes(upload.getvalue())
        saved.append(target)
    return saved


UPLOADED_LINE = "import_uploaded_line"  # a profile uploaded with the files: its digest, and the edits that stand for it
UPLOADED_PATH = "import_uploaded_profile"  # where the profile uploaded with the files of the report shown was saved
UPLOADED_NAME = "import_uploaded_name"  # that profile's file name as uploaded (reg2_v1.toml)


def uploaded_profile(sources: list[Path]) -> tuple[Path | None, list[Path], str | None]:
    """A profile uploaded beside the data (a .toml with a [profile] table naming its format, not the
    dataset.toml sidecar): copied into the profiles folder beside the database (a name another
    profile holds with other text gets -2, -3...), to be used for the check and offered in the
    picker; the uploads that are the sources (the profile is none); and its digest."""
    for path in sources:
        if path.suffix.lower() != ".toml":
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        table = data.get("profile")
        if not (isinstance(table, dict) and table.get("format")):
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        rest = [p for p in sources if p != path]
        folder = config.user_profiles_dir()
        folder.mkdir(parents=True, exist_ok=True)
        base = assistant.stem(path.stem)
        target, n = folder / f"{base}.toml", 1
        while target.exists() and target.read_bytes() != path.read_bytes():
            n += 1
            target = folder / f"{base}-{n}.toml"
        if not target.exists():
            atomic.write_atomically(target, functools.partial(_copy, path))
        st.session_state[UPLOADED_NAME] = path.name
        return target, rest, digest
    return None, sources, None


def uploaded_notice(saved: str, uploaded: str | None) -> str:
    """What the page says of the profile uploaded with the files: its [profile] name, the file it was
    saved as and, where that is not the name it was uploaded with (another profile held it), so, plainly
    (review 17, finding 9: adam_round1.toml was saved as adam_round1-2.toml without a word)."""
    name, file = escape.markdown(profile_name(saved)), profile_file(saved)
    own = f"{assistant.stem(Path(uploaded).stem)}.toml" if uploaded else Path(saved).name
    if own == Path(saved).name:
        return (
            f"The profile uploaded with the files, **{name}** (saved as {file}), was used; it is chosen in the "
            "Profile picker."
        )
    return (
        f"The profile uploaded with the files, **{name}**, was used; it is chosen in the Profile picker. "
        f"`profiles/{own}` holds another profile already (an edit saved on this page, or another upload), so "
        f"the upload was saved as {file}, not under its own name."
    )


def profile_for_check(picked: str, given: Path | None, digest: str | None) -> tuple[str, bool]:
    """The profile a Check or Import reads, and whether it is the one uploaded with the files. A
    profile uploaded with the files is the one used, whatever the picker shows, except the mapping
    assistant's edit of it (saved from a check of that upload, or of an edit of it): "Save and check
    again" and the checks and the import after it read the edit. The page then selects it."""
    if given is None:
        return picked, False
    line = st.session_state.get(UPLOADED_LINE) or {}
    if line.get("digest") == digest and picked in line.get("edits", ()):
        return picked, False
    st.session_state[UPLOADED_LINE] = {"digest": digest, "edits": []}
    return str(given), True


def import_report(report: ImportReport) -> None:
    """What an import found: the outcome, per file and per rule, and the report to download."""
    if report.imported:
        st.success(
            f"**{report.outcome.capitalize()}**. Every page now shows the new data.", icon=":material/check_circle:"
        )
        st.page_link("app_pages/overview.py", label="Open the Overview", icon=":material/arrow_forward:")
    elif report.errors:
        st.error(
            f"**{report.outcome.capitalize()}**. Fix the problems below and import again.", icon=":material/error:"
        )
    else:
        st.info(f"**{report.outcome.capitalize()}**.", icon=":material/fact_check:")
    cols = st.columns(4)
    cols[0].metric("Errors", f"{report.errors:,}")
    cols[1].metric("Warnings", f"{report.warnings:,}")
    if report.tables.get("patients"):  # what the sources hold, as mapped onto the contract
        cols[2].metric("Patients", f"{report.tables['patients']:,}")
        cols[3].metric("Visits", f"{report.tables.get('visits', 0):,}")
    st.markdown("**Files**")
    counts = {c: st.column_config.NumberColumn(format="localized") for c in report.file_frame().columns[1:]}
    st.dataframe(report.file_frame(), hide_index=True, key="import_files_table", column_config=counts)
    if report.funnel:
        st.markdown("**Where the records went**: per file, the records read, those each rule set aside, those kept")
        st.caption(
            "*Lost*: records the profile meant to import that a rule set aside (an analysis flag, a visit the map "
            "does not know); an import that loses most of a file is refused. The other steps "
            "set aside what the contract does not hold by design (a parameter or AE term the profile does not map)."
        )
        st.dataframe(
            report.funnel_frame(),
            hide_index=True,
            key="import_funnel_table",
            column_config={
                "Step": st.column_config.TextColumn(width="large"),
                "Records": st.column_config.NumberColumn(format="localized", width="small"),
                "Lost": st.column_config.TextColumn(width="small"),
            },
        )
    if report.rules:
        st.markdown("**Problems, one line per rule, file and field** (the first lines and the values seen)")
        # Each message whole, wrapped in its cell (a data grid cuts a cell at the column's width): a
        # static table, every cell escaped so that it reads as the text it is (st.table reads Markdown).
        rules = report.rule_frame().assign(Count=lambda f: f.Count.map("{:,}".format))
        st.table(rules.astype(str).map(escape.markdown), hide_index=True)
        with st.expander("Each problem's message in full", icon=":material/notes:"):
            for i, r in enumerate(report.rules, start=1):
                where = f"{r.file}, {r.column}" if r.column else r.file
                st.markdown(
                    f"{i}. **{r.severity.capitalize()}** ({escape.markdown(where)}): {escape.markdown(r.message)}"
                )
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("Issues (CSV)", report.csv(), "import_issues.csv", "text/csv", icon=":material/download:")
    right.download_button("Report (HTML)", report.html(), "import_report.html", "text/html", icon=":material/download:")


def restore_previous(target: Path) -> None:
    if not auth.current_access().may("import"):  # the page offers it only with the right; never without
        auth.record("denied", page="import", detail="restore of the previous data without the import right")
        raise PermissionError("restoring the previous data needs the import right")
    atomic.restore_previous(target)
    auth.record("restore", page="import", detail=f"{target.name} restored from its previous version")


ASSIST_PROFILE = "import_profile_next"  # the profile the next run selects (a widget's state is set before it draws)
ASSIST_CHECK = "import_check_next"  # the next run checks the uploads with it
LEAVE = "(the project has no such field)"
UNMAPPED = "(skip: no contract value)"
NO_PROCEDURE = '(the data have no such variable: import no procedure, procedure_date = "")'

MAX_VALUES = 40  # source values offered per coded column


def apply_assistant_choice() -> bool:
    """Before the profile picker draws: select the profile the assistant saved; True when the
    uploads are to be checked with it now."""
    if (path := st.session_state.pop(ASSIST_PROFILE, None)) is not None:
        st.session_state["import_profile"] = path
    return bool(st.session_state.pop(ASSIST_CHECK, False))


def survey_uploads(report: ImportReport, profile_ref: str, sources: list[Path]) -> assistant_choices.Survey | None:
    """After a refusal, or a check whose warnings a choice can fix (an unmapped AE or PR term, ulcers
    healing with no event, a REDCap event not in [events]), what the assistant's choices need from
    the uploads (read again while they are on disk); nothing for an import that went through."""
    if report.imported or not (report.errors or _warned(report)):
        return None
    if assistant.unfixable([str(r) for r in report.issues["rule"]]) is not None:
        return None  # nothing will be offered: the uploads are not read again
    try:
        return assistant_choices.survey(load(profile_ref), sources)
    except ProfileError:
        return None


def _warned(report: ImportReport) -> bool:
    """A warning a choice can fix: an unmapped term, healing with no event, an event not in [events], a
    choice with no contract value (REDCap's AE "6, Other": its record skipped, review 10, finding 10)."""
    rules = set(report.issues["rule"].astype(str))
    return bool(rules & assistant_choices.WARNING_RULES) or any(r.endswith(":unmapped") for r in rules)


def mapping_assistant(report: ImportReport, profile_ref: str, found: assistant_choices.Survey | None = None) -> None:
    """After a refusal: each contract field the profile maps and whether a source holds it, a choice
    for each one that is missing (its look-alike columns first) and for each source value with no
    contract value; the edited profile to download, or to save beside the database (it is then
    offered in the picker) and check at once. The same file works on the command line. Shown for
    every refusal, so it never disappears while a problem is left; after a check that passed, the
    choices that fix what it warns of (assistant_choices.for_warnings) alone."""
    if report.imported or not (report.errors or _warned(report)):
        _download_as_is(report, profile_ref)
        return
    if (fix := assistant.unfixable([str(r) for r in report.issues["rule"]])) is not None:
        # No choice can make it pass (review 11: 38 field mappings were offered under "export raw data").
        st.warning(fix, icon=":material/tune:")
        return
    try:
        profile = load(profile_ref)
    except ProfileError:
        return
    found = found or assistant_choices.Survey()
    # SDTM names datasets, variables, QNAMs, test codes and visits: its choices replace the field rows.
    passed = not report.errors  # only warnings: the choices that fix them, no field or value boxes
    fields = (
        []
        if profile.format == "sdtm" or passed
        else assistant.field_rows(profile, report.source_columns, report.issues, found.columns)
    )
    # After a check that passed: the choices with no contract value it warns of (their records skipped).
    unmapped = report.issues[report.issues["rule"].astype(str).str.endswith(":unmapped")]
    values = assistant.value_rows(unmapped if passed else report.issues)
    every = assistant.source_fields(profile, report.source_columns)
    choices = [
        *assistant_choices.csv_choices(profile, [str(r) for r in report.issues["rule"]], found),
        *assistant_choices.encoding_choices(profile, [str(r) for r in report.issues["rule"]], found),
        *assistant_choices.design_choice(profile),
        *assistant_choices.sdtm_choices(profile, found),
        *assistant_choices.adam_dataset_choices(profile, found),
        *assistant_choices.partial_dates(profile, [str(r) for r in report.issues["rule"]]),
        *(months_dates := assistant_choices.months_date_choices(profile, report.issues)),
        *([] if months_dates else assistant_choices.dvt_choices(profile, found, fields, every)),
        *assistant_choices.event_choices(profile, found),
        *assistant_choices.arm_choices(profile, found, fields),
        *assistant_choices.classic_choices(profile, found, [str(r) for r in report.issues["rule"]], every),
        *assistant_choices.code_choices(profile, report.issues),
        *assistant_choices.paramcd_choices(profile, found),
        *assistant_choices.avisit_choices(profile, found),
        *assistant_choices.population_choices(profile, found),
        *assistant_choices.date_choices(profile, report.issues),
        *assistant_choices.adam_term_choices(profile, found),
        *assistant_choices.healing_choices(profile, report.issues),
        *assistant_choices.avalc_choices(profile, report.issues),
        *assistant_choices.category_choices(profile, found, report.issues),
    ]
    if passed:
        choices = assistant_choices.for_warnings(choices)
    # REDCap's months since the DVT is one choice (a months field, or a date field as the DVT's date), not two fields.
    dvt = any(c.key == assistant_choices.DVT_CHOICE for c in choices)
    missing = [f for f in fields if not f.found and not (dvt and f.key in assistant_choices.DVT_KEYS)]
    arms = any(c.key.startswith("redcap_arm_") for c in choices)
    if not fields and not values and not choices:
        _download_as_is(report, profile_ref)
        return
    with st.expander("Fix the mapping here", expanded=not passed, icon=":material/tune:"):
        if passed:
            st.caption(
                "The check found no error, but it warns of what the choices below can fix (terms the profile does "
                "not map, ulcers healing with no event, events not in the profile, choices with no contract value): "
                "choose, then save and check again."
            )
        st.caption(
            f"What profile **{escape.markdown(profile.label)}** maps, and the choices that would fix what it could "
            "not. Saved, the edited profile is offered in the picker above and works on the command line too "
            "(`--profile` with its file in the `profiles` folder beside the database, as the command above prints it)."
        )
        if fields:
            st.dataframe(
                pd.DataFrame(
                    {
                        "Contract field": [f.key for f in fields],
                        "Profile key": [f"[{f.section}] {f.key}" for f in fields],
                        "Source column": [f.column for f in fields],
                        "In the sources": ["yes" if f.found else "no" for f in fields],
                        "Required": [_required(profile, f) for f in fields],
                    }
                ),
                hide_index=True,
                key="assist_fields_table",
            )
        if not missing and not values and all(c.key == "study_design" for c in choices):
            st.caption(
                "Every field the profile maps is in the sources and no value needs a map: the problems above are "
                "not ones a choice here can fix (their messages name the profile key to edit)."
            )
        chosen_fields: dict[tuple[str, str], str] = {}
        if missing:
            st.markdown("**Fields the sources do not have**: pick the column that holds each")
        for f in missing:
            # ADaM: a field's options are its own dataset's variables ([adsl] keys: ADSL's), never ADQS's or ADAE's.
            options = assistant.offered(
                f.key, f.candidates, assistant.own_columns(profile, f.section, found.columns, every)
            )
            if not f.required:
                options = [LEAVE, *options]
            if f.key == "arm" and arms:  # the REDCap arm of the events, its treatments chosen below
                options = [assistant_choices.FROM_ARMS, *options]
            # A required procedure detail the data lack: the way out its error names, as a choice (review 10).
            no_procedure = f.required and f.key in procedure_details() and profile.format in ("adam", "redcap")
            if no_procedure:
                options = [NO_PROCEDURE, *options]
            # A key of another table than the fields' (REDCap's [adverse_events] event_type) is named with its table.
            named = f.key if f.section in FORMATS[profile.format].column_sections else f"[{f.section}] {f.key}"
            box = f"assist_field_{f.section}_{f.key}" + ("" if f.required else ":optional")
            if f.required:
                _keep_choice(box, options)
            pick = st.selectbox(
                f"{named} ({_required(profile, f)}): "
                + (f"no source has {_name(f.column)}" if f.column else "the profile names no source column"),
                options,
                index=None if f.required else 0,
                placeholder="choose a source column",
                # Keyed by whether it is required too: a field that turns optional (REDCap's procedure columns once
                # procedure_date is left out) is a new box, at "no such field", not the required box's empty state.
                key=box,
            )
            _kept(box, pick)
            if pick is not None:
                unmapped = pick in (LEAVE, assistant_choices.FROM_ARMS, NO_PROCEDURE)
                chosen_fields[(f.section, f.key)] = assistant.NOT_MAPPED if unmapped else pick
                if pick == NO_PROCEDURE:  # procedure_date = "": no procedure row, none of its details required
                    chosen_fields[(f.section, "procedure_date")] = assistant.NOT_MAPPED
        chosen_values: dict[str, dict[str, str]] = {}
        left_out: list[str] = []  # arm values whose patients are left out ([population] exclude_arms)
        for row in values:
            leave_out = assistant.leaves_arms_out(profile, row.column)
            skip = not leave_out and assistant.skippable(profile, row.column)
            st.markdown(
                f"**{row.column}**: source values with no value in the contract; map each onto one of its values "
                + (
                    "(or leave its patients out of the import: [population] exclude_arms)"
                    if leave_out
                    else "(or skip it: its record, visit or event is not imported)"
                    if skip
                    else "(the import refuses a patient value it cannot map)"
                )
            )
            if len(row.values) > MAX_VALUES:
                st.caption(f"The first {MAX_VALUES} of {len(row.values)} values.")
            cols = st.columns(3)
            labels = row.labels or ("",) * len(row.values)
            for i, (value, label) in enumerate(zip(row.values[:MAX_VALUES], labels, strict=False)):
                # Keyed by the value it maps, never by its position: after "Save and check again" the
                # rows are fewer, and a box keyed by position would take the choice made for another value.
                # An arm's patients are left out only when the user says so: no option is chosen for them.
                # A value no skip can fix (an ADaM or SDTM patient's) is mapped: nothing is chosen for it.
                first = [assistant.LEAVE_OUT_ARM] if leave_out else [UNMAPPED] if skip else []
                offered = [*first, *row.vocabulary]
                # The value alone first: a leg code's label names its qualifier and records ("L (SUPPQS QNAM QSLAT...").
                hint = assistant.suggested(row.column, value) or assistant.suggested(row.column, f"{value} {label}")
                index = offered.index(hint) if hint in offered else 0 if skip else None
                box = f"assist_value_{row.column}:{value!r}"
                if index is None:
                    _keep_choice(box, offered)
                pick = cols[i % 3].selectbox(
                    _label(f"{value} ({label})" if label else value),
                    offered,
                    index=index,
                    placeholder="choose",
                    key=box,
                )
                _kept(box, pick)
                if pick == assistant.LEAVE_OUT_ARM:
                    left_out.append(value)
                elif pick == UNMAPPED and label == assistant.NOT_LISTED:
                    # A code the dictionary does not list is skipped only when the map names it (review 18, F2).
                    chosen_values.setdefault(row.column, {})[value] = ""
                elif pick is not None and pick != UNMAPPED:
                    chosen_values.setdefault(row.column, {})[value] = pick
        writes = assistant_choices.schedule(profile, _choices(choices)) + assistant.arms_left_out(profile, left_out)
        if passed and not writes and not chosen_values:  # the check passed and nothing is chosen: nothing to save
            st.caption("Choose above to save an edited profile; as it is, the profile imports these files.")
            _download_as_is(report, profile_ref)
            return
        _save(profile, profile_ref, report, chosen_fields, chosen_values, writes)


KEPT = "assist_kept"  # a box's key -> the option last chosen in it


def _keep_choice(key: str, options: list[str]) -> None:
    """Before a box with no default draws: a choice made in it survives Escape. Streamlit clears such a
    box when Escape is pressed in its open list (review 10, finding 10: enrolled_on reset to empty while
    browsing the lists); the choice is put back, and another option replaces it."""
    kept = st.session_state.setdefault(KEPT, {})
    if st.session_state.get(key) is None and kept.get(key) in options:
        st.session_state[key] = kept[key]


def _kept(key: str, pick: str | None) -> None:
    if pick is not None:
        st.session_state.setdefault(KEPT, {})[key] = pick


def _download_as_is(report: ImportReport, profile_ref: str) -> None:
    """After a check (or import) with no error, the profile file it read, to download as it is: an edited
    copy's "Download the profile (TOML)" stays once nothing is left to choose (review 10, finding 10: only
    the server path in the printed command was left). A built-in profile is in the project already."""
    if report.errors or not profile_ref.endswith(".toml"):
        return
    try:
        text = Path(profile_ref).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    st.download_button(
        "Download the profile (TOML)",
        text,
        Path(profile_ref).name,
        "application/toml",
        icon=":material/download:",
        key="assist_download_as_is",
    )


def _required(profile: Profile, f: assistant.FieldRow) -> str:
    """Whether a field is required, as the check says it: a detail of the index procedure by the one
    rule every format's check says (procedure_label: required exactly when the procedure is imported)."""
    if f.key in procedure_details() and profile.format in ("adam", "redcap"):
        return procedure_label(f.required)
    return "required" if f.required else "optional"


def _choices(choices: list[assistant_choices.Choice]) -> list[assistant_choices.Write]:
    """A select box per choice, under its group's heading; what the chosen options write."""
    writes: list[assistant_choices.Write] = []
    group = None
    for c in choices:
        if c.group != group:
            group = c.group
            st.markdown(f"**{escape.markdown(group)}**")
        texts = [o.text for o in c.options]
        if c.several:
            picks = st.multiselect(
                _label(c.label), texts, default=None, placeholder="choose one or more", key=f"assist_choice_{c.key}"
            )
            writes += assistant_choices.merged([w for p in picks for w in c.options[texts.index(p)].writes])
            continue
        box = f"assist_choice_{c.key}"
        if c.default is None:
            _keep_choice(box, texts)
        pick = st.selectbox(_label(c.label), texts, index=c.default, placeholder="choose", key=box)
        _kept(box, pick)
        if pick is not None:
            writes += c.options[texts.index(pick)].writes
    return writes


def _save(
    profile: Profile,
    profile_ref: str,
    report: ImportReport,
    chosen_fields: dict[tuple[str, str], str],
    chosen_values: dict[str, dict[str, str]],
    writes: list[assistant_choices.Write] | None = None,
) -> None:
    """Save as: a name of the chosen profile and the upload (an edited copy keeps its own); another
    profile of that name is replaced only when the user says so; the version never goes back. An
    SDTM profile is written as extends = "sdtm" with only what differs; the page shows the TOML."""
    folder = config.user_profiles_dir()
    default = assistant.default_name(profile, profile_ref, report.source_columns, folder, report.study)
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    name = left.text_input("Save as", value=default, max_chars=60, key=f"assist_name:{profile_ref}:{default}")
    stem = assistant.stem(name)
    path = folder / f"{stem}.toml"
    version = assistant.next_version(profile, path)
    data = assistant.edited(profile, chosen_fields, chosen_values, version, writes or [])
    data["profile"]["name"] = stem  # reports and dataset_info say "profile <stem> vN", not the built-in's name
    if profile.format in ("sdtm", "contract"):  # only what differs from the built-in (extends = "sdtm", "contract")
        data = assistant.extending(data, profile.format)
    text = assistant.dumps(
        data, header=f"Profile {stem} v{version}: edited on the Import page from {profile.name} v{profile.version}"
    )
    with st.expander(f"The profile to be saved: profiles/{stem}.toml", icon=":material/description:"):
        st.code(text, language="toml")
    replace = True
    if assistant.overwrites(profile_ref, path):
        st.warning(
            f"`profiles/{stem}.toml` is another profile already: choose another name, or tick below to replace it.",
            icon=":material/warning:",
        )
        replace = st.checkbox(f"Replace profiles/{stem}.toml", key=f"assist_replace:{stem}")
    buttons = right.columns(2)
    buttons[0].download_button(
        "Download the profile (TOML)", text, f"{stem}.toml", "application/toml", icon=":material/download:"
    )
    if buttons[1].button("Save and check again", icon=":material/fact_check:", key="assist_save", disabled=not replace):
        folder.mkdir(parents=True, exist_ok=True)
        atomic.write_atomically(path, lambda tmp: _write_text(tmp, text))
        line = st.session_state.get(UPLOADED_LINE)
        if line and (profile_ref in line["edits"] or profile_ref == st.session_state.get(UPLOADED_PATH)):
            line["edits"].append(str(path))  # the edit of the uploaded profile stands for it from now on
        st.session_state[ASSIST_PROFILE] = str(path)
        st.session_state[ASSIST_CHECK] = True
        st.rerun()


# What could make a label's text read as Markdown (emphasis, code, a link or image, an icon or colour,
# HTML, LaTeX, a list or heading): a label without any of it is shown as it is, so the name a screen
# reader says has no backslashes (the assistant's "[dm] last_contact_date" was read with four).
_MARKUP = re.compile(r"[*`$~<>\\|]|\]\(|!\[|:[A-Za-z0-9/_-]+[:\[]|(^|\W)_|_($|\W)|https?:|www\.|^\s*([#>+-]|\d+[.)])\s")


def _label(text: str) -> str:
    """A select box's label: as it is where nothing in it is Markdown, else escaped (escape.markdown)."""
    return escape.markdown(text) if _MARKUP.search(text) else text


def _name(identifier: str) -> str:
    """A source column's name (letters, digits, _) in a label: as it is, so the label a screen
    reader says has no backslashes; escaped only where an underscore could start or end emphasis."""
    inner = identifier.strip("_") == identifier and all(c.isalnum() or c == "_" for c in identifier)
    return identifier if inner else escape.markdown(identifier)


def _copy(source: Path, path: Path) -> None:
    path.write_bytes(source.read_bytes())


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def disk_full_message(exc: BaseException, target: Path) -> str:
    """What to free, and where, named relative to the data folder (never the server's path)."""
    said = str(getattr(exc, "filename", None) or "") or str(exc)
    beside = str(target.resolve().parent)
    if beside in said:
        where = (
            f"the data folder, beside `{db.shown_name(target)}`: an import writes the new file there before it "
            f"replaces the old one, so it needs about as much free space as the new file. Old copies such as "
            f"`{target.stem}.previous{target.suffix}` (the last import's undo) can go"
        )
    else:
        where = (
            "the server's temporary folder (`$TMPDIR`, where uploads and the import's staging database are "
            "written while it runs): the import needs about twice the size of the uploaded files there"
        )
    return (
        f"**The disk is full: the import stopped, and {escape.markdown(db.shown_name(target))} was not changed.** "
        f"There is no space left in {where}. Whoever runs the app frees space there and imports again; "
        "the command line says the same (`No space left on device`)."
    )


def upload_limit_note(limit_mb: int) -> str:
    """The upload limit and the setting that raises it: a file over it is refused in the browser
    (only a red note under the file), so the page says it before anything is uploaded."""
    return (
        f"Up to {limit_mb} MB per file in the browser: a larger file is refused before it reaches the server (a red "
        f"note under it). Whoever runs the app can raise the limit with `server.maxUploadSize` (in MB) in "
        f"`.streamlit/config.toml`, or import large files from the command line, faster and without an upload:"
    )

"""Import: bring a trial or registry export in, see every problem at once, and open it when clean."""

import os
import tempfile
from pathlib import Path

import streamlit as st

from pts_explorer import atomic, config, importer, ui
from pts_explorer.importer import command
from pts_explorer.importer.readers import SUFFIXES
from pts_explorer.ui import importing

UPLOAD_TYPES = [s.lstrip(".") for s in (*SUFFIXES, ".zip", ".toml")]

st.header("Import your data", anchor=False)
target = config.db_path()
st.markdown(
    "Bring a trial or registry export into the data contract. Every file is checked against every rule at once; "
    "you get one report of every problem (file, line, record, column, value, rule) and the database the app "
    f"serves (`{target.name}`) is replaced only when nothing is wrong."
)


def command_line(profile: str) -> str:
    return command.command_line(profile, target)


if not config.import_in_app():
    st.info(
        "**Importing in the browser is switched off on this server** (`[import] in_app` in pts_explorer.toml). "
        "Whoever runs the app imports from the command line:",
        icon=":material/lock:",
    )
    st.code(command_line("contract"), language="bash")
    ui.stop()

if not ui.may("import"):
    ui.audit("denied", page="import", detail="the Import page without the import right")
    st.info(
        "**Your permissions do not include importing** (the `import` right of the permissions file): the data "
        "served stay as they are. Whoever manages the permissions can grant it; an operator can import from "
        "the command line.",
        icon=":material/lock:",
    )
    ui.stop()

assisted_check = ui.apply_assistant_choice()  # the mapping assistant saved a profile: select it, check again
profiles = ui.import_profiles()
left, right = st.columns([1, 1.4], vertical_alignment="bottom")
profile = left.selectbox(
    "Profile",
    list(profiles),
    format_func=lambda p: profiles.get(p, p),
    help="How the files map onto the contract. Edited copies of a profile go in the `profiles` folder beside "
    "the database.",
    key="import_profile",
)
name = right.text_input(
    "Dataset name",
    max_chars=120,
    placeholder="shown in the app header; a dataset.toml or dataset_info table can name it too",
    key="import_name",
)
SYNTHETIC = {"As the files say": None, "Real patients": False, "Synthetic (simulated)": True}
said = st.radio(
    "Are these data synthetic?",
    list(SYNTHETIC),
    horizontal=True,
    help="Every page marks synthetic data. Files without a dataset.toml or dataset_info table do not say, and are "
    "refused until you answer here.",
    key="import_synthetic",
)
st.caption(importing.profile_caption(profile))
uploads = st.file_uploader(
    "Files, workbooks or one .zip",
    type=UPLOAD_TYPES,
    accept_multiple_files=True,
    key="import_files",
)
st.caption(importing.upload_limit_note(st.get_option("server.maxUploadSize")))
st.code(command_line(profile), language="bash")

check_col, import_col, _ = st.columns([1, 1.3, 3])
check = check_col.button("Check", icon=":material/fact_check:", disabled=not uploads, key="import_check")
run = import_col.button(
    "Import and replace", icon=":material/upload:", type="primary", disabled=not uploads, key="import_run"
)

check = check or (assisted_check and bool(uploads))
if (check or run) and uploads:
    progress = st.empty()  # the steps while it runs; the report below says how it ended
    try:
        with (
            tempfile.TemporaryDirectory(prefix=f"upload-{os.getpid()}-", dir=atomic.private_dir()) as folder,
            progress.status("Importing…", expanded=True) as status,
        ):
            # A profile uploaded with the files is the profile of every check and import of them (and is selected
            # in the picker), but for the mapping assistant's edit of it, which stands for it once saved.
            given, sources, digest = importing.uploaded_profile(ui.save_uploads(uploads, Path(folder)))
            profile, from_upload = importing.profile_for_check(profile, given, digest)
            st.session_state[importing.UPLOADED_PATH] = profile if from_upload else None
            if from_upload:
                st.session_state[importing.ASSIST_PROFILE] = profile
            options = importer.Options(
                name=name.strip() or None, check_only=check, keep_previous=True, synthetic=SYNTHETIC[said]
            )
            st.session_state["import_report"] = importer.run_import(profile, sources, target, options, status.write)
            if not check:  # the trail: an import, replaced or refused (its outcome in words; never a row)
                done = st.session_state["import_report"]
                ui.audit(
                    "import", page="import", detail=f"{'replaced' if done.imported else 'refused'}: {done.outcome}"
                )
            st.session_state["import_report_profile"] = profile
            st.session_state["import_survey"] = ui.survey_uploads(st.session_state["import_report"], profile, sources)
    except Exception as exc:
        # Whatever failed, the page never says it is still importing, nor shows the report of an earlier check
        # as this one's (review 14, N1: "Importing…" stayed over the error box).
        progress.empty()
        for key in ("import_report", "import_report_profile", "import_survey"):
            st.session_state.pop(key, None)
        if not atomic.disk_full(exc):
            raise  # the frame's error box, with a reference in the log
        st.error(importing.disk_full_message(exc, target), icon=":material/hard_drive:")
        ui.stop()
    progress.empty()
    if st.session_state.get("import_profile") != profile:
        st.rerun()  # the picker, drawn above, then shows the profile that was used

if (shown := st.session_state.get("import_report")) is not None:
    if uploaded := st.session_state.get(importing.UPLOADED_PATH):
        st.info(
            importing.uploaded_notice(uploaded, st.session_state.get(importing.UPLOADED_NAME)),
            icon=":material/description:",
        )
    ui.import_report(shown)
    ui.mapping_assistant(
        shown, st.session_state.get("import_report_profile", profile), st.session_state.get("import_survey")
    )

if (previous := target.with_name(f"{target.stem}.previous{target.suffix}")).exists():
    with st.expander("Undo the last import", icon=":material/undo:"):
        st.caption(f"The file the last import replaced is kept as `{previous.name}`.")
        if st.button("Restore it", key="import_restore"):
            ui.restore_previous(target)
            st.success("The previous dataset is served again.", icon=":material/undo:")

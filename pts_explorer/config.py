"""Deployment settings, read from the environment with defaults."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = PROJECT_ROOT / "queries"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema.sql"
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "pts_outcomes.duckdb"

# DuckDB settings used on every read-only open; one dict so every open matches (DuckDB refuses a
# second handle on the same file with a different configuration).
# A small memory limit keeps the server small on a million patients (the derived tables answer the
# pages with small reads: measured, 128 MB holds every page at 1M). A query that needs more spills
# to the temporary folder; one that cannot (sorts and windows over a million rows of a file without
# current derived tables) is run again with the limit raised to DUCKDB_MEMORY_CEILING
# (pts_explorer.memory), instead of failing.
_MEMORY = r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)"


def _memory_setting(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    if not re.fullmatch(_MEMORY, value, re.IGNORECASE):
        raise ValueError(f"{name}={value!r} is not a memory size such as 256MB or 1GB")
    return value


DUCKDB_MEMORY_CEILING = _memory_setting("PTS_DUCKDB_MEMORY_MAX", "1GB")
_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4}
_UNITS |= {"kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}


def _positive(name: str, default: str, size: bool = False) -> int:
    """A positive whole number (or, with `size`, a size such as 4GB) from the environment."""
    value = os.environ.get(name, default).strip()
    match = re.fullmatch(r"(\d+)\s*([a-z]*)", value, re.IGNORECASE)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS or (unit and not size) or int(match.group(1)) == 0:
        raise ValueError(f"{name}={value!r} is not {'a size such as 4GB' if size else 'a positive whole number'}")
    return int(match.group(1)) * _UNITS[unit]


@dataclass(frozen=True)
class ArchiveLimits:
    """What an import unpacks from a .zip at most: the files it may hold, their unpacked size
    together, and how many times a file may grow as it is unpacked (text compresses about 5-20
    times; a zip bomb a thousand times or more)."""

    members: int
    total_bytes: int
    ratio: int


def archive_limits() -> ArchiveLimits:
    """The limits, each settable from the environment (read at each import)."""
    return ArchiveLimits(
        members=_positive("PTS_ZIP_MAX_FILES", "200"),
        total_bytes=_positive("PTS_ZIP_MAX_UNPACKED", "4GB", size=True),
        ratio=_positive("PTS_ZIP_MAX_RATIO", "200"),
    )


DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "threads": "2",
    "memory_limit": _memory_setting("PTS_DUCKDB_MEMORY", "128MB"),
    "temp_directory": str(Path(tempfile.gettempdir()) / "pts_explorer_duckdb"),
}
# A directory of Parquet tables has no derived tables: the pages aggregate the contract tables, and
# quantiles over a million patients cannot spill, so its limit is higher (measured: 256 MB fails at
# 1M patients, 1 GB holds).
DUCKDB_PARQUET_CONFIG = {**DUCKDB_CONFIG, "memory_limit": _memory_setting("PTS_DUCKDB_MEMORY", "1GB")}


SETTINGS_FILE = PROJECT_ROOT / "pts_explorer.toml"
DEFAULT_MIN_CELL_COUNT = 5


def _settings_file() -> dict:
    path = Path(os.environ.get("PTS_CONFIG") or SETTINGS_FILE)
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def small_cells() -> tuple[int, bool]:
    """(k, everywhere): the small-cell threshold, and whether every page applies it (otherwise
    presenter mode and exports only). $PTS_MIN_CELL_COUNT and $PTS_PROTECT_SMALL_CELLS override
    the [privacy] table of pts_explorer.toml."""
    section = _settings_file().get("privacy", {})
    k = section.get("min_cell_count", DEFAULT_MIN_CELL_COUNT)
    everywhere = section.get("protect_everywhere", False)
    if raw := os.environ.get("PTS_MIN_CELL_COUNT"):
        k = int(raw) if raw.strip().isdigit() else k
    if raw := os.environ.get("PTS_PROTECT_SMALL_CELLS"):
        everywhere = raw.strip().lower() in ("1", "true", "yes", "on")
    k = k if isinstance(k, int) and 0 <= k <= 1000 else DEFAULT_MIN_CELL_COUNT
    return k, bool(everywhere)


def import_in_app() -> bool:
    """Whether the Import page may replace the served database ([import] in_app, $PTS_IMPORT_IN_APP).
    On by default for a single user on this machine; turn it off before serving a team."""
    allowed = _settings_file().get("import", {}).get("in_app", True)
    if raw := os.environ.get("PTS_IMPORT_IN_APP"):
        allowed = raw.strip().lower() in ("1", "true", "yes", "on")
    return bool(allowed)


SIGN_IN_CLAIMS = {"user_claim": "email", "name_claim": "name", "groups_claim": "groups"}


def sign_in_claims() -> dict[str, str]:
    """Which claims of the sign-in token name the user, the name the pages show, and the groups the
    permissions file names ([sign_in] of pts_explorer.toml; $PTS_USER_CLAIM, $PTS_NAME_CLAIM,
    $PTS_GROUPS_CLAIM override it). Defaults: email, name, groups."""
    section = _settings_file().get("sign_in", {})
    given = {
        "user_claim": os.environ.get("PTS_USER_CLAIM"),
        "name_claim": os.environ.get("PTS_NAME_CLAIM"),
        "groups_claim": os.environ.get("PTS_GROUPS_CLAIM"),
    }
    claims = {}
    for key, default in SIGN_IN_CLAIMS.items():
        value = given[key] or section.get(key, default)
        claims[key] = value.strip() if isinstance(value, str) and value.strip() else default
    return claims


def user_profiles_dir() -> Path:
    """Edited copies of the import profiles, beside the outcomes database."""
    return db_path().parent / "profiles"


WORKSPACE_FILE = "pts_workspace.sqlite"


def workspace_path() -> Path:
    """Saved cohorts and talks: $PTS_WORKSPACE (a file, or a folder to hold pts_workspace.sqlite), else
    pts_workspace.sqlite beside the outcomes database."""
    given = os.environ.get("PTS_WORKSPACE")
    if not given:
        return db_path().parent / WORKSPACE_FILE
    return Path(given) / WORKSPACE_FILE if Path(given).is_dir() else Path(given)


def db_path() -> Path:
    """The outcomes database the app reads: $PTS_DB (a DuckDB file, or a directory of Parquet
    tables written by `make export-parquet`), or the demo file."""
    return Path(os.environ.get("PTS_DB") or DEFAULT_DB_PATH)


ENGINES = ("duckdb", "spark")


def engine() -> str:
    """Where the pages' queries run: "duckdb" (embedded, the default) or "spark" ($PTS_ENGINE)."""
    return (os.environ.get("PTS_ENGINE") or "duckdb").strip().lower()


def spark_database() -> str | None:
    """A Spark catalog database holding the outcomes tables ($PTS_SPARK_DATABASE), instead of the
    Parquet directory."""
    return os.environ.get("PTS_SPARK_DATABASE") or None


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: its script app_pages/<name>.py, served at /<name> ("/" for home)."""

    name: str
    title: str
    icon: str  # a Material Symbols name
    section: str
    blurb: str  # what the page answers, in one line, for the home page
    key_chart: str = ""  # the widget key of the chart the page is for: it must start in the first screen
    url: str = ""  # its address, when not its name
    needs_data: bool = True  # False: the page works without a usable outcomes database (import)
    example: str = ""  # a query that gives the page something to show (a page that starts empty)
    listed: bool = True  # False: opened by its link only (the speaker view), not in the menu or on Home

    @property
    def url_path(self) -> str:
        return self.url or self.name

    @property
    def script(self) -> str:
        return f"app_pages/{self.name}.py"


_S = PageSpec  # (name, title, Material icon, menu section, what the page answers, key chart)
PAGES = (
    _S("home", "Home", "home", "Start", "What the app answers, the data loaded, and where to start."),
    _S("overview", "Overview", "groups", "Cohort", "Who is in the cohort, by arm.", "overview_sizes"),
    _S("trajectories", "Trajectories", "show_chart", "Outcomes", "Scores over time per arm.", "trajectory_chart"),
    _S("effects", "Effects", "functions", "Outcomes", "The effect at a visit: ANCOVA and MMRM.", "mmrm_chart"),
    _S("subgroups", "Subgroups", "account_tree", "Outcomes", "Does the effect differ by lesion or band?", "forest"),
    _S(
        "benefit",
        "Who benefits",
        "diversity_3",
        "Outcomes",
        "Is the effect larger in some patients than in others?",
        "benefit_chart",
    ),
    _S("responders", "Responders", "how_to_reg", "Outcomes", "Who improves by a threshold.", "responder_chart"),
    _S(
        "adjusted",
        "Target trial",  # the menu cuts a longer name; the heading: "Target trial: adjusted registry"
        "balance",
        "Outcomes",
        "The registry adjusted for confounding, as the trial it emulates, set beside the randomized trial.",
        "adjusted_chart",
    ),
    _S("compare", "Compare", "compare_arrows", "Cohorts", "Two cohorts side by side.", "compare_chart"),
    _S("cohorts", "Saved cohorts", "bookmarks", "Cohorts", "Cohorts saved under a name, with their links."),
    _S(
        "candidate",
        "Candidate",
        "person_search",
        "Cohorts",
        "Patients like one candidate, by arm.",
        "candidate_chart",
        example="c_site=common_iliac&c_stenosis=100&c_villalta=17&c_ulcer=yes&c_age=45&c_sex=female",
    ),
    _S("durability", "Durability", "timeline", "Stents over time", "Patency and ulcer healing.", "km_chart"),
    _S("safety", "Safety", "health_and_safety", "Stents over time", "Complications and rates.", "complication_chart"),
    _S(
        "talks",
        "Talks",
        "slideshow",
        "Cohorts",
        "Views in order, with titles and speaker notes, presented slide by slide.",
    ),
    _S(
        "speaker",
        "Speaker view",
        "speaker_notes",
        "Cohorts",
        "A presenter's second window: the slide on screen, its notes, the next slide and the time.",
        needs_data=False,
        listed=False,
    ),
    _S("glossary", "Glossary", "menu_book", "Reference", "Scores, lesions, endpoints and methods, sourced."),
    _S("data_checks", "Data checks", "fact_check", "Data", "The data contract's checks of the loaded file."),
    _S(
        "import_data",
        "Import",
        "upload_file",
        "Data",
        "Bring your own trial or registry export in.",
        url="import",
        needs_data=False,
    ),
    _S(
        "audit",
        "Audit trail",
        "policy",
        "Data",
        "Who opened, exported, imported or was refused what (the admin right only).",
        needs_data=False,
        listed=False,
    ),
)
DATA_PAGES = tuple(p for p in PAGES if p.needs_data)
ANALYSIS_PAGES = tuple(p for p in PAGES if p.key_chart)  # the pages that show data

# Ready-made cohorts: (title, why, page, query). Each link replaces the current cohort and settings.
STARTING_POINTS = (
    (
        "High-grade common iliac or common femoral obstruction",
        "Where the stent's benefit is expected to be largest: the effect on Villalta, adjusted.",
        "effects",
        {"site": ["common_iliac", "common_femoral"], "grade": ["70-99%", "occlusion"]},
    ),
    (
        "Femoral obstruction only",
        "Obstruction below the inguinal ligament: do symptoms move apart over time?",
        "trajectories",
        {"site": ["femoral"]},
    ),
    (
        "Patients with an open ulcer",
        "How soon ulcers heal in each arm, with death as a competing event.",
        "durability",
        {"ulcer": ["yes"], "endpoint": ["ulcer_healing"], "group": ["arm"]},
    ),
)

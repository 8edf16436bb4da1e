"""Import trial and registry exports into a database that follows the data contract.

    python -m pts_explorer.importer --profile NAME --out FILE SOURCES...

Formats (formats/: FORMATS, one module and one built-in profile <name>.toml each) map a layout
onto the contract: `contract` (one file per table), `adam` (CDISC ADaM) and `redcap` (a REDCap
export with its data dictionary). Every source is staged
as text, mapped, and checked in one pass with the rules of pts_explorer.validation; the target is
replaced atomically only when nothing is wrong.
"""

from pts_explorer.importer.formats import FORMATS, builtin_names
from pts_explorer.importer.pipeline import IMPORTER_VERSION, Options, run_import
from pts_explorer.importer.report import ImportReport

__all__ = ["FORMATS", "IMPORTER_VERSION", "ImportReport", "Options", "builtin_names", "run_import"]

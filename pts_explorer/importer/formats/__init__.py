"""The import formats, one module each: the contract's own layout (contract), CDISC ADaM (adam)
and REDCap (redcap), on what every mapper builds on (base). A new format (SDTM) is a module
beside them, named in MAPPERS."""

from __future__ import annotations

from collections.abc import Callable

from pts_explorer.importer.formats.adam import AdamMapper
from pts_explorer.importer.formats.base import Mapper
from pts_explorer.importer.formats.contract import ContractMapper
from pts_explorer.importer.formats.redcap import RedcapMapper

MAPPERS: dict[str, Callable[..., Mapper]] = {"contract": ContractMapper, "adam": AdamMapper, "redcap": RedcapMapper}

"""The synthetic demo cohort: a tool that writes data files, not part of the app.

`generator` builds the tables, `params` holds every generator parameter with its source, and
`calibration` measures the contract's calibration targets from a written file.
"""

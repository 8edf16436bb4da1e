"""PTS Outcomes Explorer: the importable core (no Streamlit imports outside ui.py)."""

"""Statistics on small aggregates returned by the query layer (no Streamlit, no SQL)."""

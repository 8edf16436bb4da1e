"""Page scripts, one per view, run by st.navigation (see app.py). Not `pages/`: see the README."""

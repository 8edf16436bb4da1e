"""A file with patients but no visit (built elsewhere: an import refuses it) says so on every page,
instead of 'no patients match the filters' over empty charts."""

import shutil

import duckdb

MESSAGE = (
    "the dataset has patients but no visits: no page can show a Villalta score, trajectory or effect (an import "
    "refuses such data; import the visit records, README: Your own data)"
)


def test_a_dataset_without_visits_says_so_on_the_pages(app_on, small_db, tmp_path):
    path = tmp_path / "no_visits.duckdb"
    shutil.copyfile(small_db, path)
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM visits")
    con.close()
    for page in ("overview", "trajectories", "durability"):
        at = app_on(path)
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception
        assert [e.value for e in at.error] == [
            f"**The outcomes database cannot be used.** {path.name} does not follow the PTS outcomes data contract."
        ], page
        problems = at.dataframe[0].value
        assert problems.loc[problems.Severity == "Error", "Problem"].tolist() == [MESSAGE], page

"""Durability's Cox model is fitted once per set of fitted rows: a rerun with nothing changed (a
widget elsewhere, a new tab on the same view) reads the cached fit; a new cohort fits again."""

from pts_explorer.analytics import survival


def test_a_rerun_with_nothing_changed_does_not_refit_the_cox_model(app_on, demo_db, monkeypatch):
    fits = []
    original = survival.cox

    def counted(*args, **kwargs):
        fits.append(args[1:])
        return original(*args, **kwargs)

    monkeypatch.setattr(survival, "cox", counted)
    # both arms have recurrent DVT: two groups, so the page fits a hazard ratio; an age range no other test uses
    at = app_on(demo_db, {"endpoint": "freedom_from_recurrent_dvt", "age": ["23", "88"]})
    at.switch_page("app_pages/durability.py").run()
    assert not at.exception
    hazard = [t.value for t in at.subheader if "Cox" in t.value]
    assert hazard, "the page shows no Cox model for two groups"
    before = len(fits)
    at.run()
    at.run()
    assert not at.exception
    assert len(fits) == before  # nothing changed: the cached fit
    at.slider(key="age").set_value((24, 88)).run()
    assert not at.exception
    assert len(fits) == before + 1  # a new cohort: one fit

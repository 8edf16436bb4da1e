"""A link with a setting value the app does not know says so (README: "an unknown setting value is
replaced by its default with a notice"), naming the key, never echoing the value (a link's text can be
anything: tests/app/test_hostile_urls.py); unknown cohort filter values are dropped silently, as the
data contract's URL rule says."""


def test_unknown_setting_values_in_a_link_are_announced_as_text(app_on, small_db):
    query = {
        "visit": "999",
        "outcome": "drop table",
        "registry": "maybe",
        "groups": ["zzz", "<b>x</b>", "femoral"],
        "site": "pelvis",  # a cohort filter value: dropped without a notice
        "mmrm": "reml",  # a known value: nothing to say
    }
    at = app_on(small_db, query).run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info if i.value.startswith("The link's")] == [
        "The link's **visit** value is not one this app knows: replaced by the default.",
        "The link's **outcome** value is not one this app knows: replaced by the default.",
        "The link's **registry** value is not one this app knows: replaced by the default.",
        "The link's **groups** has 2 values this app does not know: left out.",
    ]


def test_a_default_written_out_is_not_announced(app_on, small_db):
    at = app_on(small_db, {"visit": "6", "registry": "False", "outcome": "villalta_total"}).run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info if i.value.startswith("The link's")] == []


def test_a_flag_written_off_in_any_of_its_spellings_is_not_announced(app_on, small_db):
    """Review 28b, finding 7: leaving presenter mode (Exit, Escape: present=0) said "The link's present
    value is not one this app knows"; every spelling a flag reads as off is its default written out."""
    for off in ("0", "no", "false", "False", "NO"):
        at = app_on(small_db, {"present": off, "registry": off}).run()
        assert not at.exception, at.exception
        assert [i.value for i in at.info if i.value.startswith("The link's")] == [], off


def test_a_links_range_past_a_filters_bounds_is_cut_and_said_so(app_on, demo_db):
    # Second review of issue 28: "dvt=5000&dvt=1" became the chip "Months since DVT 3-1200 months", a
    # restriction to every value the filter takes, with no word that the link's numbers were replaced.
    at = app_on(demo_db, {"dvt": ["5000", "1"], "site": "femoral"}).run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info if i.value.startswith("The link's")] == [
        "The link's **dvt** range reaches past the values this filter takes (3 to 1200): cut to them, which "
        "leaves it restricting nothing."
    ]
    assert [b.label for b in at.button if (b.key or "").startswith("chip_")] == ["Femoral ×"]
    assert dict(at.query_params) == {"site": "femoral"}
    at = app_on(demo_db, {"dvt": ["2", "50"]}).run()
    assert [i.value for i in at.info if i.value.startswith("The link's")] == [
        "The link's **dvt** range reaches past the values this filter takes (3 to 1200): cut to them."
    ]
    assert [b.label for b in at.button if (b.key or "").startswith("chip_")] == ["Months since DVT ≤ 50 months ×"]
    at = app_on(demo_db, {"dvt": ["12", "60"]}).run()  # within the bounds: nothing to say
    assert [i.value for i in at.info if i.value.startswith("The link's")] == []


def test_a_list_of_only_unknown_values_says_the_default_is_used_and_names_it(app_on, small_db):
    """Review rev31b finding 6: ps_covariates=foo&ps_covariates=bar said "left out" and the score then
    used all ten covariates without a word."""
    from pts_explorer import vocab

    at = app_on(small_db, {"ps_covariates": ["foo", "bar"]}).run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info if i.value.startswith("The link's")] == [
        "The link's **ps_covariates** has 2 values this app does not know: left out; none it knows was left, so "
        f"the default is used: all {len(vocab.PS_COVARIATES)} ({', '.join(vocab.PS_COVARIATES)})."
    ]

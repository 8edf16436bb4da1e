"""URL and widget values become safe, bound SQL parameters."""

from pts_explorer.filters import CohortFilter

STUDIES = ["TRIAL", "REGISTRY"]


def test_unknown_values_are_dropped_not_passed_on():
    f = CohortFilter.from_mapping(
        {
            "site": ["common_iliac", "'; DROP TABLE patients; --"],
            "arm": "stent",
            "grade": ["bogus"],
            "study": ["TRIAL", "OTHER"],
            "ulcer": "maybe",
        },
        STUDIES,
    )
    assert f.site == ("common_iliac",)
    assert f.arm == ("stent",)
    assert f.grade == ()
    assert f.study == ("TRIAL",)
    assert f.ulcer is None


def test_age_is_parsed_sorted_and_clamped():
    assert CohortFilter.from_mapping({"age": ["70", "30"]}, STUDIES).age == (30, 70)
    assert CohortFilter.from_mapping({"age": ["5", "200"]}, STUDIES).age == (18, 90)
    assert CohortFilter.from_mapping({"age": ["x"]}, STUDIES).age == (18, 90)
    assert CohortFilter.from_mapping({"age": ("40", "41", "42")}, STUDIES).age == (18, 90)


def test_repeated_ulcer_takes_the_last_valid_value():
    assert CohortFilter.from_mapping({"ulcer": ["no", "yes"]}, STUDIES).ulcer == "yes"


def test_values_keep_vocabulary_order_and_are_deduplicated():
    f = CohortFilter.from_mapping({"grade": ["occlusion", "70-99%", "occlusion"]}, STUDIES)
    assert f.grade == ("70-99%", "occlusion")


def test_params_bind_lists_and_scalars():
    params = CohortFilter(site=("femoral",), age=(20, 40), ulcer="no").as_params()
    assert params == {
        "study": [],
        "arm": [],
        "site": ["femoral"],
        "grade": [],
        "band": [],
        "sex": [],
        "age_min": 20,
        "age_max": 40,
        "ulcer": "no",
        # the "More filters", none restricting: empty sets, ranges without bounds
        **{"center": [], "limb": [], "ceap": []},
        **{
            f"{key}_{end}": None
            for key in ("stenosis", "length", "dvt", "bmi", "bvillalta", "bvcss", "enrolled", "followup")
            for end in ("min", "max")
        },
    }


def test_describe_reads_like_a_sentence():
    assert CohortFilter().describe() == "All patients"
    f = CohortFilter(site=("common_iliac",), grade=("70-99%", "occlusion"), age=(18, 59), band=("moderate",))
    assert f.describe() == "Common iliac; 70-99%, Occlusion; Moderate (10-14); age 18-59"
    assert CohortFilter().is_unrestricted() and not f.is_unrestricted()


def test_a_change_from_the_stored_cohort_is_said_filter_by_filter():
    """Review 27, finding 3: a slide stored as "TRIAL; Common iliac" whose chip was removed live says
    "Common iliac removed" beside its struck title; each kind of filter is said as the drawer shows it."""
    stored = CohortFilter.from_mapping({"study": ["TRIAL"], "site": ["common_iliac"]}, STUDIES)
    assert CohortFilter.from_mapping({"study": ["TRIAL"]}, STUDIES).changes_from(stored) == "Common iliac removed"
    now = CohortFilter.from_mapping({"site": ["common_iliac"], "arm": ["stent"], "age": ["40", "59"]}, STUDIES)
    assert now.changes_from(stored) == "TRIAL removed, Stent added, age 40-59"
    assert stored.changes_from(now) == "TRIAL added, Stent removed, any age"
    assert stored.changes_from(stored) == ""

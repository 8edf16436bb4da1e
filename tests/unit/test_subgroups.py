"""Named subgroups (subgroups.toml): the built-ins read and check; a definition outside the
allow-lists is refused in words; membership on patient rows equals the SQL cohort of the same
definition; an operator's file adds and replaces definitions."""

import pytest

from pts_explorer import db, subgroups
from pts_explorer.filters import NOBODY, CohortFilter
from pts_explorer.settings import SETTINGS


def test_the_builtins_answer_the_seed_question():
    found = {g.name: g for g in subgroups.load()}
    assert {"high_grade_civ_cfv", "high_grade_other", "below_70"} <= set(found)
    seed = found["high_grade_civ_cfv"]
    assert seed.query == {"site": ["common_iliac", "common_femoral"], "grade": ["70-99%", "occlusion"]}
    assert all(g.label and "arm" not in g.query for g in found.values())


@pytest.mark.parametrize("group", subgroups.load(), ids=lambda g: g.name)
def test_membership_on_rows_equals_the_sql_cohort(demo_con, group):
    everyone = db.run_query(demo_con, "cohort", CohortFilter().as_params())
    everyone["baseline_ulcer"] = everyone.baseline_ulcer.map({True: "yes", False: "no"})
    members = set(everyone[group.members(everyone)].patient_id)
    studies = sorted(everyone.study_id.unique())
    in_sql = set(db.run_query(demo_con, "cohort", group.within(CohortFilter(), studies).as_params()).patient_id)
    assert members == in_sql and len(members) > 0


def test_within_a_cohort_is_the_intersection(demo_con):
    group = {g.name: g for g in subgroups.load()}["high_grade_civ_cfv"]
    cohort = CohortFilter(sex=("female",), grade=("occlusion", "<50%"))
    both = group.within(cohort, ["TRIAL", "REGISTRY"])
    assert both.grade == ("occlusion",) and both.sex == ("female",)
    assert set(both.site) == {"common_iliac", "common_femoral"}
    nobody = group.within(CohortFilter(grade=("<50%",)), ["TRIAL", "REGISTRY"])  # no grade in both
    assert nobody == NOBODY and db.run_query(demo_con, "cohort", nobody.as_params()).empty


def _write(tmp_path, body: str):
    path = tmp_path / "subgroups.toml"
    path.write_text("version = 1\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[subgroup]]\nname = "x"\nlabel = "X"\nsite = ["pelvis"]\n', "values of `site` the app does not know"),
        ('[[subgroup]]\nname = "x"\nlabel = "X"\nsite = ["femoral\' OR 1=1 --"]\n', "does not know"),
        ('[[subgroup]]\nname = "x"\nlabel = "X"\nwhere = "age_years > 60"\n', "uses where; allowed"),
        ('[[subgroup]]\nname = "x"\nlabel = "X"\narm = ["stent"]\n', "uses arm"),
        ('[[subgroup]]\nname = "x"\nlabel = "X"\n', "restricts nothing"),
        ('[[subgroup]]\nname = "drop table"\nlabel = "X"\nsex = ["male"]\n', "needs a `name`"),
        ('[[subgroup]]\nname = "x"\nlabel = "X"\nage = ["18", "300"]\n', "does not know"),
        ("[[subgroup]\n", "not a readable TOML file"),
        ('[[subgroup]]\nname = "x"\nlabel = "X"\nsex = ["male"]\nprespecified = true\n', "as text"),
    ],
)
def test_a_definition_outside_the_allow_lists_is_refused(tmp_path, body, message):
    with pytest.raises(subgroups.SubgroupError, match=message):
        subgroups.load(extra=_write(tmp_path, body))


def test_a_file_of_another_version_is_refused(tmp_path):
    path = tmp_path / "subgroups.toml"
    path.write_text('version = 2\n[[subgroup]]\nname = "x"\nlabel = "X"\nsex = ["male"]\n', encoding="utf-8")
    with pytest.raises(subgroups.SubgroupError, match="version = 1"):
        subgroups.load(extra=path)


def test_an_operator_file_adds_and_replaces_definitions(tmp_path):
    path = _write(
        tmp_path,
        '[[subgroup]]\nname = "older_women"\nlabel = "Women 65 and over"\nsex = ["female"]\nage = ["65", "90"]\n'
        '[[subgroup]]\nname = "below_70"\nlabel = "Below 70% (ours)"\ngrade = ["<50%"]\n',
    )
    found = {g.name: g for g in subgroups.load(extra=path)}
    assert found["older_women"].query == {"sex": ["female"], "age": ["65", "90"]}
    assert found["below_70"].label == "Below 70% (ours)" and found["below_70"].query == {"grade": ["<50%"]}
    assert "high_grade_civ_cfv" in found
    assert SETTINGS.parse_all(found["older_women"].query)["age"] == (65, 90)


def test_an_operator_file_says_where_a_subgroup_was_prespecified(tmp_path):
    path = _write(
        tmp_path,
        '[[subgroup]]\nname = "civ"\nlabel = "Common iliac"\nsite = ["common_iliac"]\n'
        'prespecified = " SAP v1.0, section 9.4 "\n',
    )
    found = {g.name: g for g in subgroups.load(extra=path)}
    assert found["civ"].prespecified == "SAP v1.0, section 9.4"
    assert found["below_70"].prespecified == ""  # the built-ins say nothing of the kind

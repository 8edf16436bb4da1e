"""The count beside each sidebar option (issue 28, item 1): the patients the other filters keep who
have the option. Checked on random cohorts against a count made here with pandas from the contract
tables, with the band and the grade derived from their published definitions, not from the app's
columns or SQL."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from pts_explorer import db, vocab
from pts_explorer.filters import OPTION_FIELDS, CohortFilter


@pytest.fixture(scope="module")
def people(demo_con) -> pd.DataFrame:
    patients = demo_con.execute(
        "SELECT patient_id, study_id, arm, obstruction_site, stenosis_pct, sex, age_years FROM patients"
    ).df()
    baseline = demo_con.execute(
        "SELECT patient_id, villalta_total, ulcer_present FROM visits WHERE visit_month = 0"
    ).df()
    table = patients.merge(baseline, on="patient_id", how="left")
    # Villalta: 0-4 none, 5-9 mild, 10-14 moderate, 15 or more (or an ulcer) severe.
    total = table.villalta_total
    band = np.select([total >= 15, total >= 10, total >= 5, total >= 0], ["severe", "moderate", "mild", "none"], "")
    table["band"] = np.where(table.ulcer_present.fillna(False).astype(bool), "severe", band)
    table.loc[total.isna(), "band"] = None
    pct = table.stenosis_pct
    table["grade"] = np.select([pct >= 100, pct >= 70, pct >= 50], ["occlusion", "70-99%", "50-69%"], "<50%")
    table["ulcer"] = np.where(table.ulcer_present.fillna(False).astype(bool), "yes", "no")
    return table.rename(columns={"study_id": "study", "obstruction_site": "site"})


COLUMN = {"study": "study", "arm": "arm", "site": "site", "grade": "grade", "band": "band", "sex": "sex"}


def _kept(people: pd.DataFrame, cohort: CohortFilter, lifted: str) -> pd.DataFrame:
    keep = people.age_years.between(*cohort.age)
    for field, column in COLUMN.items():
        chosen = getattr(cohort, field)
        if field != lifted and chosen:
            keep &= people[column].isin(chosen)
    if lifted != "ulcer" and cohort.ulcer:
        keep &= people.ulcer == cohort.ulcer
    return people[keep]


def _expected(people: pd.DataFrame, cohort: CohortFilter) -> list[tuple[str, str, int]]:
    rows = []
    for field in OPTION_FIELDS:
        kept = _kept(people, cohort, field)
        column = COLUMN.get(field, "ulcer")
        counts = kept[column].dropna().value_counts()
        rows += [(field, str(value), int(n)) for value, n in counts.items()]
    return sorted(rows)


def _random_cohort(rng: random.Random, studies: list[str]) -> CohortFilter:
    def some(options: list[str]) -> tuple[str, ...]:
        return tuple(v for v in options if rng.random() < 0.35)

    low = rng.randint(vocab.AGE_MIN, 70)
    return CohortFilter(
        study=some(studies),
        arm=some(list(vocab.ARMS)),
        site=some(list(vocab.SITES)),
        grade=some(list(vocab.GRADES)),
        band=some(list(vocab.BANDS)),
        sex=some(list(vocab.SEXES)),
        age=(low, rng.randint(low, vocab.AGE_MAX)),
        ulcer=rng.choice([None, None, "yes", "no"]),
    )


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("fast", [False, True], ids=["contract tables", "cells"])
def test_each_option_counts_the_patients_the_other_filters_keep(demo_con, people, seed, fast):
    cohort = _random_cohort(random.Random(seed), sorted(people.study.unique()))
    found = db.run_query(demo_con, "option_counts", cohort.option_params(), fast)
    got = sorted((f, v, int(n)) for f, v, n in found.itertuples(index=False) if n)
    assert got == _expected(people, cohort)


def test_an_options_count_is_the_cohort_it_would_give_alone(demo_con):
    # The site options of a cohort of female patients: each equals the cohort with that site alone.
    cohort = CohortFilter(sex=("female",), site=("femoral",))
    found = db.run_query(demo_con, "option_counts", cohort.option_params())
    sites = found[found.field == "site"].set_index("value").patients
    for site in vocab.SITES:
        alone = db.run_query(demo_con, "cohort_counts", CohortFilter(sex=("female",), site=(site,)).as_params())
        assert int(sites.get(site, 0)) == int(alone.matching.sum())

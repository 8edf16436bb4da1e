"""Invariants of the generated cohort and of the way it is written."""

from dataclasses import replace

import duckdb
import pandas as pd
import pytest

from pts_explorer.synthetic import generator
from pts_explorer.synthetic.params import SynthParams

TINY = replace(SynthParams(), trial_patients=40, registry_patients=120)


def _frames(path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").df()
            for t in ("patients", "visits", "procedures", "events", "studies")
        }
    finally:
        con.close()


def test_same_seed_gives_identical_tables(tmp_path):
    a = _frames(generator.write_db(tmp_path / "a.duckdb", seed=11, params=TINY))
    b = _frames(generator.write_db(tmp_path / "b.duckdb", seed=11, params=TINY))
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table])


def test_other_seed_gives_other_patients(tmp_path):
    a = _frames(generator.write_db(tmp_path / "a.duckdb", seed=11, params=TINY))
    b = _frames(generator.write_db(tmp_path / "b.duckdb", seed=12, params=TINY))
    assert not a["visits"].equals(b["visits"])


def test_sizes_and_arms(small_con):
    counts = small_con.execute("SELECT study_id, arm, count(*) FROM patients GROUP BY ALL").fetchall()
    by = {(s, a): n for s, a, n in counts}
    assert by[("TRIAL", "stent")] == by[("TRIAL", "medical")] == 40  # permuted blocks of four: 1:1
    assert by[("REGISTRY", "stent")] + by[("REGISTRY", "medical")] == 300


def test_dataset_is_labelled_synthetic(small_con):
    row = small_con.execute("SELECT synthetic, generator_version, seed FROM dataset_info").fetchone()
    synthetic, version, seed = row
    assert synthetic is True and version and seed == 7


def test_every_patient_has_a_baseline_visit(small_con):
    missing = small_con.execute(
        "SELECT count(*) FROM patients p WHERE NOT EXISTS "
        "(SELECT 1 FROM visits v WHERE v.patient_id = p.patient_id AND v.visit_month = 0)"
    ).fetchone()[0]
    assert missing == 0


def test_visit_months_follow_the_study_schedule(small_con):
    off_schedule = small_con.execute(
        "SELECT count(*) FROM visits v JOIN patients p USING (patient_id) JOIN studies s USING (study_id) "
        "WHERE NOT list_contains(s.visit_months, v.visit_month)"
    ).fetchone()[0]
    assert off_schedule == 0


def test_nothing_happens_after_last_contact(small_con):
    late = small_con.execute(
        """SELECT (SELECT count(*) FROM visits v JOIN patients p USING (patient_id)
                   WHERE v.visit_day > p.last_contact_day)
                + (SELECT count(*) FROM events e JOIN patients p USING (patient_id)
                   WHERE e.event_day > p.last_contact_day)"""
    ).fetchone()[0]
    assert late == 0


def test_death_is_the_last_contact(small_con):
    wrong = small_con.execute(
        "SELECT count(*) FROM events e JOIN patients p USING (patient_id) "
        "WHERE e.event_type = 'death' AND e.event_day <> p.last_contact_day"
    ).fetchone()[0]
    assert wrong == 0


def test_stent_events_only_in_the_stent_arm_after_the_procedure(small_con):
    wrong = small_con.execute(
        """SELECT count(*) FROM events e JOIN patients p USING (patient_id) LEFT JOIN procedures pr USING (patient_id)
           WHERE e.event_type IN ('stent_thrombosis', 'restenosis', 'patency_restored', 'stent_migration',
                                  'access_site_bleeding', 'reintervention')
             AND (p.arm <> 'stent' OR e.event_day < pr.procedure_day OR NOT pr.technical_success)"""
    ).fetchone()[0]
    assert wrong == 0


def test_patency_restored_follows_a_thrombosis(small_con):
    orphan = small_con.execute(
        """SELECT count(*) FROM events r WHERE r.event_type = 'patency_restored' AND NOT EXISTS (
               SELECT 1 FROM events t WHERE t.patient_id = r.patient_id AND t.event_type = 'stent_thrombosis'
               AND t.event_day <= r.event_day)"""
    ).fetchone()[0]
    assert orphan == 0


def test_ulcer_healing_only_for_patients_who_had_an_ulcer(small_con):
    wrong = small_con.execute(
        """SELECT count(*) FROM events h JOIN patients p USING (patient_id)
           JOIN visits b ON b.patient_id = p.patient_id AND b.visit_month = 0
           WHERE h.event_type = 'ulcer_healed' AND NOT b.ulcer_present AND NOT EXISTS (
               SELECT 1 FROM events r WHERE r.patient_id = h.patient_id AND r.event_type = 'ulcer_recurred'
               AND r.event_day < h.event_day)"""
    ).fetchone()[0]
    assert wrong == 0


def test_band_and_total_follow_the_items(small_con):
    v = small_con.execute("SELECT * FROM visits").df()
    items = [c for c in v.columns if c.startswith("v_")]
    assert (v[items].sum(axis=1) == v.villalta_total).all()
    expected = pd.cut(v.villalta_total, [-1, 4, 9, 14, 33], labels=["none", "mild", "moderate", "severe"]).astype(str)
    expected[v.ulcer_present] = "severe"
    assert (expected == v.pts_band).all()


def test_ceap_c6_means_an_ulcer_at_baseline(small_con):
    mismatched = small_con.execute(
        "SELECT count(*) FROM patients p JOIN visits b ON b.patient_id = p.patient_id AND b.visit_month = 0 "
        "WHERE (p.ceap_c = 'C6') <> b.ulcer_present"
    ).fetchone()[0]
    assert mismatched == 0


def test_check_constraints_reject_out_of_range_values(tmp_path):
    con = duckdb.connect(str(generator.write_db(tmp_path / "c.duckdb", seed=1, params=TINY)))
    with pytest.raises(duckdb.ConstraintException):
        con.execute("UPDATE patients SET arm = 'surgery' WHERE patient_id = (SELECT min(patient_id) FROM patients)")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("UPDATE visits SET v_pain = 4 WHERE visit_month = 0 AND patient_id = 'T-0001'")
    con.close()


def test_write_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    target = generator.write_db(tmp_path / "keep.duckdb", seed=1, params=TINY)
    before = target.read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(generator, "_write_metadata", explode)
    with pytest.raises(RuntimeError):
        generator.write_db(target, seed=2, params=TINY)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.duckdb"]


def test_chunked_generation_streams_large_cohorts(tmp_path):
    """Chunks of 50 patients produce the requested totals without holding everything at once."""
    params = replace(SynthParams(), trial_patients=30, registry_patients=230)
    path = generator.write_db(tmp_path / "chunked.duckdb", seed=3, params=params, chunk_size=50)
    con = duckdb.connect(str(path), read_only=True)
    n, unique = con.execute("SELECT count(*), count(DISTINCT patient_id) FROM patients").fetchone()
    con.close()
    assert n == unique == 260


def test_cli_writes_the_requested_file(tmp_path, capsys):
    out = tmp_path / "cli.duckdb"
    assert generator.main(["--out", str(out), "--trial-patients", "8", "--registry-patients", "20", "--seed", "5"]) == 0
    assert "28 synthetic patients" in capsys.readouterr().out
    con = duckdb.connect(str(out), read_only=True)
    assert con.execute("SELECT count(*) FROM patients").fetchone()[0] == 28
    con.close()


def test_cli_rejects_negative_sizes(tmp_path):
    with pytest.raises(SystemExit):
        generator.main(["--out", str(tmp_path / "x.duckdb"), "--trial-patients", "-1"])

-- PTS Outcomes Explorer: the data contract as DDL (the data dictionary: data/README.md).
-- Run by the generator and the importer on a new, empty database file.

CREATE TABLE dataset_info (
    dataset_name      VARCHAR NOT NULL,
    synthetic         BOOLEAN NOT NULL,
    generator_version VARCHAR,
    seed              BIGINT,
    created_at        TIMESTAMP NOT NULL,
    description       VARCHAR
);

CREATE TABLE studies (
    study_id     VARCHAR PRIMARY KEY,
    study_name   VARCHAR NOT NULL,
    design       VARCHAR NOT NULL CHECK (design IN ('randomized', 'observational')),
    visit_months INTEGER[] NOT NULL,
    description  VARCHAR
);

CREATE TABLE patients (
    patient_id        VARCHAR PRIMARY KEY,
    study_id          VARCHAR NOT NULL REFERENCES studies (study_id),
    center_id         VARCHAR NOT NULL,
    arm               VARCHAR NOT NULL CHECK (arm IN ('stent', 'medical')),
    enrolled_on       DATE NOT NULL,
    age_years         INTEGER NOT NULL CHECK (age_years BETWEEN 18 AND 90),
    sex               VARCHAR NOT NULL CHECK (sex IN ('female', 'male')),
    bmi               DOUBLE CHECK (bmi BETWEEN 12 AND 80),
    limb_side         VARCHAR NOT NULL CHECK (limb_side IN ('left', 'right')),
    months_since_dvt  INTEGER NOT NULL CHECK (months_since_dvt >= 3),
    obstruction_site  VARCHAR NOT NULL CHECK (obstruction_site IN
                          ('ivc', 'common_iliac', 'external_iliac', 'common_femoral', 'femoral')),
    stenosis_pct      INTEGER NOT NULL CHECK (stenosis_pct BETWEEN 0 AND 100),
    lesion_length_mm  INTEGER CHECK (lesion_length_mm > 0),
    ceap_c            VARCHAR NOT NULL CHECK (ceap_c IN ('C3', 'C4a', 'C4b', 'C4c', 'C5', 'C6')),
    last_contact_day  INTEGER NOT NULL CHECK (last_contact_day >= 0),
    stenosis_grade    VARCHAR GENERATED ALWAYS AS (
        CASE
            WHEN stenosis_pct >= 100 THEN 'occlusion'
            WHEN stenosis_pct >= 70 THEN '70-99%'
            WHEN stenosis_pct >= 50 THEN '50-69%'
            ELSE '<50%'
        END) VIRTUAL
);

CREATE TABLE visits (
    patient_id            VARCHAR NOT NULL REFERENCES patients (patient_id),
    visit_month           INTEGER NOT NULL CHECK (visit_month >= 0),
    visit_day             INTEGER NOT NULL CHECK (visit_day >= 0),
    v_pain                SMALLINT NOT NULL CHECK (v_pain BETWEEN 0 AND 3),
    v_cramps              SMALLINT NOT NULL CHECK (v_cramps BETWEEN 0 AND 3),
    v_heaviness           SMALLINT NOT NULL CHECK (v_heaviness BETWEEN 0 AND 3),
    v_paresthesia         SMALLINT NOT NULL CHECK (v_paresthesia BETWEEN 0 AND 3),
    v_pruritus            SMALLINT NOT NULL CHECK (v_pruritus BETWEEN 0 AND 3),
    v_edema               SMALLINT NOT NULL CHECK (v_edema BETWEEN 0 AND 3),
    v_induration          SMALLINT NOT NULL CHECK (v_induration BETWEEN 0 AND 3),
    v_hyperpigmentation   SMALLINT NOT NULL CHECK (v_hyperpigmentation BETWEEN 0 AND 3),
    v_redness             SMALLINT NOT NULL CHECK (v_redness BETWEEN 0 AND 3),
    v_ectasia             SMALLINT NOT NULL CHECK (v_ectasia BETWEEN 0 AND 3),
    v_calf_pain           SMALLINT NOT NULL CHECK (v_calf_pain BETWEEN 0 AND 3),
    ulcer_present         BOOLEAN NOT NULL,
    vcss                  SMALLINT CHECK (vcss BETWEEN 0 AND 30),
    veines_qol            DOUBLE,
    veines_sym            DOUBLE,
    pain_vas              DOUBLE CHECK (pain_vas BETWEEN 0 AND 10),
    calf_circumference_cm DOUBLE CHECK (calf_circumference_cm > 0),
    daily_steps           INTEGER CHECK (daily_steps >= 0),
    compression_use       VARCHAR CHECK (compression_use IN ('none', 'intermittent', 'daily')),
    villalta_total        SMALLINT GENERATED ALWAYS AS (
        v_pain + v_cramps + v_heaviness + v_paresthesia + v_pruritus + v_edema + v_induration
        + v_hyperpigmentation + v_redness + v_ectasia + v_calf_pain) VIRTUAL,
    -- An ulcer makes the band severe; the numeric total is never inflated for it.
    pts_band              VARCHAR GENERATED ALWAYS AS (
        CASE
            WHEN ulcer_present OR (v_pain + v_cramps + v_heaviness + v_paresthesia + v_pruritus
                + v_edema + v_induration + v_hyperpigmentation + v_redness + v_ectasia
                + v_calf_pain) >= 15 THEN 'severe'
            WHEN (v_pain + v_cramps + v_heaviness + v_paresthesia + v_pruritus + v_edema
                + v_induration + v_hyperpigmentation + v_redness + v_ectasia + v_calf_pain) >= 10
                THEN 'moderate'
            WHEN (v_pain + v_cramps + v_heaviness + v_paresthesia + v_pruritus + v_edema
                + v_induration + v_hyperpigmentation + v_redness + v_ectasia + v_calf_pain) >= 5
                THEN 'mild'
            ELSE 'none'
        END) VIRTUAL,
    PRIMARY KEY (patient_id, visit_month)
);

CREATE TABLE procedures (
    patient_id              VARCHAR NOT NULL REFERENCES patients (patient_id),
    procedure_day           INTEGER NOT NULL CHECK (procedure_day >= 0),
    technical_success       BOOLEAN NOT NULL,
    stents_placed           SMALLINT NOT NULL CHECK (stents_placed >= 0),
    max_stent_diameter_mm   SMALLINT CHECK (max_stent_diameter_mm > 0),
    below_inguinal_ligament BOOLEAN NOT NULL
);

CREATE TABLE events (
    patient_id VARCHAR NOT NULL REFERENCES patients (patient_id),
    event_day  INTEGER NOT NULL CHECK (event_day >= 0),
    event_type VARCHAR NOT NULL CHECK (event_type IN (
        'stent_thrombosis', 'restenosis', 'reintervention', 'patency_restored',
        'stent_migration', 'access_site_bleeding', 'major_bleeding', 'recurrent_dvt',
        'pulmonary_embolism', 'ulcer_healed', 'ulcer_recurred', 'death')),
    serious    BOOLEAN NOT NULL
);

-- Baseline-derived patient attributes, for ad-hoc SQL; the app's queries derive the same in
-- queries/shared/cohort.sql so that they also work where this view is missing.
CREATE VIEW patient_baseline AS
SELECT
    p.*,
    b.pts_band AS baseline_band,
    b.villalta_total AS baseline_villalta,
    b.ulcer_present AS baseline_ulcer
FROM patients AS p
LEFT JOIN visits AS b
    ON b.patient_id = p.patient_id AND b.visit_month = 0;

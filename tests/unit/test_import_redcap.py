# ruff: noqa: E501 (the CSV text below keeps each REDCap row on one line, as REDCap writes it)
"""REDCap projects as a REDCap builder's project exports them, written by hand here (not by the
project's example writer): a classic project whose visits are a repeating instrument, a
longitudinal project with two arms, each with its data dictionary CSV. Sex is coded REDCap's demo
way (0 = Female, 1 = Male), Villalta items are labelled radios whose code is the score, the
obstruction site is a checkbox of segments, and some choices are "Other". Each import is checked
against the tables recomputed here from the CSV text, whole values compared."""

import csv
import io
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.issues import Funnel
from tests.databases import VILLALTA_ORDER

ITEMS = VILLALTA_ORDER

# --- a classic project: one row per record, visits and adverse events as repeating instruments ----

# The Data Dictionary CSV as REDCap's Online Designer downloads it (with a byte-order mark).
CLASSIC_DICTIONARY = (
    "\ufeff"
    + """"Variable / Field Name","Form Name","Section Header","Field Type","Field Label","Choices, Calculations, OR Slider Labels","Field Note","Text Validation Type OR Show Slider Number","Text Validation Min","Text Validation Max","Identifier?","Branching Logic (Show field only if...)","Required Field?","Custom Alignment","Question Number (surveys only)","Matrix Group Name","Matrix Ranking?","Field Annotation"
record_id,enrollment,,text,"Record ID",,,,,,,,,,,,,
site,enrollment,,dropdown,"Site","1, LEEDS | 2, LYON",,,,,,,y,,,,,
enroll_date,enrollment,,text,"Date of enrolment",,,date_ymd,,,,,y,,,,,
treatment,enrollment,,radio,"Treatment","1, Venous stent | 2, Best medical therapy | 3, Other",,,,,,,y,,,,,
age,enrollment,,text,"Age at enrolment (years)",,,integer,18,90,,,y,,,,,
sex,enrollment,,radio,"Sex","0, Female | 1, Male",,,,,,,y,,,,,
bmi,enrollment,,text,"BMI (kg/m2)",,,number,12,80,,,,,,,,
index_limb,enrollment,,radio,"Index limb","1, Left | 2, Right",,,,,,,y,,,,,
months_since_dvt,enrollment,,text,"Months since the DVT",,,integer,,,,,y,,,,,
obst,enrollment,"Venography",checkbox,"Obstructed segments (tick all that apply)","1, Inferior vena cava | 2, Common iliac vein | 3, External iliac vein | 4, Common femoral vein | 5, Femoral vein | 6, Other",,,,,,,y,,,,,
stenosis_pct,enrollment,,text,"Worst stenosis (%)",,,integer,0,100,,,y,,,,,
lesion_length_mm,enrollment,,text,"Lesion length (mm)",,,integer,,,,,,,,,,
ceap,enrollment,,dropdown,"CEAP clinical class","3, C3 | 41, C4a | 42, C4b | 43, C4c | 5, C5 | 6, C6",,,,,,,y,,,,,
last_contact_date,enrollment,,text,"Date of last contact",,,date_ymd,,,,,,,,,,
death_date,enrollment,,text,"Date of death",,,date_ymd,,,,,,,,,,
procedure_date,enrollment,"Index procedure",text,"Procedure date",,,date_ymd,,,,"[treatment] = '1'",,,,,,
technical_success,enrollment,,yesno,"Technical success",,,,,,,"[treatment] = '1'",,,,,,
stents_placed,enrollment,,text,"Stents placed",,,integer,0,6,,"[treatment] = '1'",,,,,,
stent_diameter_mm,enrollment,,text,"Largest stent diameter (mm)",,,integer,,,,"[treatment] = '1'",,,,,,
below_inguinal_ligament,enrollment,,yesno,"A stent below the inguinal ligament",,,,,,,"[treatment] = '1'",,,,,,
visit_date,visit,,text,"Date of the visit",,,date_ymd,,,,,y,,,,,
visit_month,visit,,dropdown,"Visit","0, Baseline | 6, Month 6 | 12, Month 12",,,,,,,y,,,,,
vil_pain,visit,"Villalta scale",radio,"Pain","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_cramps,visit,,radio,"Cramps","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_heaviness,visit,,radio,"Heaviness","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_paresthesia,visit,,radio,"Paresthesia","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_pruritus,visit,,radio,"Pruritus","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_edema,visit,,radio,"Pretibial edema","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_induration,visit,,radio,"Skin induration","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_hyperpigmentation,visit,,radio,"Hyperpigmentation","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_redness,visit,,radio,"Redness","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_ectasia,visit,,radio,"Venous ectasia","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_calf_pain,visit,,radio,"Pain on calf compression","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
ulcer,visit,,yesno,"Venous ulcer",,,,,,,,y,,,,,
vcss,visit,,text,"VCSS",,,integer,0,30,,,,,,,,
compression,visit,,radio,"Compression stockings","1, None | 2, Intermittent | 3, Daily | 4, Other",,,,,,,,,,,,
ae_date,adverse_events,,text,"Date of onset",,,date_ymd,,,,,y,,,,,
ae_type,adverse_events,,dropdown,"Event","1, Stent thrombosis | 2, Reintervention | 3, Major bleeding | 99, Other",,,,,,,y,,,,,
ae_serious,adverse_events,,yesno,"Serious",,,,,,,,y,,,,,
med_drug,medications,,text,"Medication",,,,,,,,,,,,,
"""
)

# "Export data > CSV / Microsoft Excel (raw data)": one row per record and per repeating instance.
CLASSIC_EXPORT = """record_id,redcap_repeat_instrument,redcap_repeat_instance,site,enroll_date,treatment,age,sex,bmi,index_limb,months_since_dvt,obst___1,obst___2,obst___3,obst___4,obst___5,obst___6,stenosis_pct,lesion_length_mm,ceap,last_contact_date,death_date,procedure_date,technical_success,stents_placed,stent_diameter_mm,below_inguinal_ligament,enrollment_complete,visit_date,visit_month,vil_pain,vil_cramps,vil_heaviness,vil_paresthesia,vil_pruritus,vil_edema,vil_induration,vil_hyperpigmentation,vil_redness,vil_ectasia,vil_calf_pain,ulcer,vcss,compression,visit_complete,ae_date,ae_type,ae_serious,adverse_events_complete,med_drug,medications_complete
101,,,1,2022-01-10,1,54,0,27.4,1,14,0,1,1,0,0,0,85,90,42,2023-01-20,,2022-01-12,1,2,16,0,2,,,,,,,,,,,,,,,,,,,,,,,
101,visit,1,,,,,,,,,,,,,,,,,,,,,,,,,,2022-01-10,0,1,1,2,0,0,1,1,2,0,1,1,0,7,3,2,,,,,,
101,visit,2,,,,,,,,,,,,,,,,,,,,,,,,,,2022-07-12,6,0,1,1,0,0,1,0,2,0,1,0,0,5,3,2,,,,,,
101,visit,3,,,,,,,,,,,,,,,,,,,,,,,,,,2023-01-09,12,0,0,1,0,0,0,0,1,0,1,0,0,3,2,2,,,,,,
101,adverse_events,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2022-09-30,2,0,2,,
101,medications,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,rivaroxaban,1
102,,,1,2022-02-03,2,61,1,31.0,2,30,0,0,0,1,0,0,60,,3,2023-04-10,,,,,,,2,,,,,,,,,,,,,,,,,,,,,,,
102,visit,1,,,,,,,,,,,,,,,,,,,,,,,,,,2022-02-03,0,2,2,2,1,1,2,1,2,1,1,2,0,10,1,2,,,,,,
102,visit,2,,,,,,,,,,,,,,,,,,,,,,,,,,2022-08-05,6,2,2,1,1,1,2,1,2,1,1,2,0,9,1,2,,,,,,
102,visit,3,,,,,,,,,,,,,,,,,,,,,,,,,,2023-03-30,12,2,1,1,1,1,2,1,2,1,1,1,0,9,1,2,,,,,,
103,,,2,2022-03-15,1,47,0,24.8,1,9,1,1,0,0,1,0,100,140,5,2022-10-08,2022-10-08,2022-03-16,1,3,14,1,2,,,,,,,,,,,,,,,,,,,,,,,
103,visit,1,,,,,,,,,,,,,,,,,,,,,,,,,,2022-03-15,0,3,2,3,1,2,2,2,3,1,2,2,0,16,3,2,,,,,,
103,visit,2,,,,,,,,,,,,,,,,,,,,,,,,,,2022-09-14,6,2,2,2,1,1,2,2,3,1,2,1,1,14,3,2,,,,,,
104,,,2,2022-04-01,1,70,1,29.9,2,48,0,0,1,0,0,0,75,60,41,2023-04-12,,2022-04-05,1,1,14,0,2,,,,,,,,,,,,,,,,,,,,,,,
104,visit,1,,,,,,,,,,,,,,,,,,,,,,,,,,2022-04-01,0,1,0,1,0,1,1,0,1,0,1,0,0,6,2,2,,,,,,
104,visit,2,,,,,,,,,,,,,,,,,,,,,,,,,,2022-10-03,6,0,0,1,0,0,1,0,1,0,0,0,0,4,4,2,,,,,,
104,visit,3,,,,,,,,,,,,,,,,,,,,,,,,,,2023-03-28,12,0,0,0,0,0,1,0,1,0,0,0,0,3,2,2,,,,,,
104,adverse_events,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2022-05-01,99,0,2,,
104,adverse_events,2,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2022-07-10,1,1,2,,
105,,,1,2022-05-20,2,58,0,,1,6,0,0,0,0,1,1,55,,3,2023-05-30,,,,,,,2,,,,,,,,,,,,,,,,,,,,,,,
105,visit,1,,,,,,,,,,,,,,,,,,,,,,,,,,2022-05-20,0,2,1,2,1,0,2,1,1,0,1,1,0,9,1,2,,,,,,
105,visit,2,,,,,,,,,,,,,,,,,,,,,,,,,,2022-11-21,6,1,1,2,1,0,1,1,1,0,1,1,0,8,2,2,,,,,,
105,visit,3,,,,,,,,,,,,,,,,,,,,,,,,,,2023-05-22,12,1,1,1,0,0,1,1,1,0,1,0,0,6,2,2,,,,,,
106,,,2,2022-06-01,3,66,1,26.0,2,20,0,1,0,0,0,0,80,70,42,2023-06-05,,,,,,,2,,,,,,,,,,,,,,,,,,,,,,,
106,visit,1,,,,,,,,,,,,,,,,,,,,,,,,,,2022-06-01,0,1,1,1,1,1,1,1,1,1,1,1,0,8,1,2,,,,,,
106,visit,2,,,,,,,,,,,,,,,,,,,,,,,,,,2022-12-02,6,1,1,1,0,1,1,1,1,1,1,1,0,7,1,2,,,,,,
106,adverse_events,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2022-08-01,3,1,2,,
"""

# What the export means, written down from the dictionary above (the test's own decoding).
SITE = {"1": "LEEDS", "2": "LYON"}
ARM = {"1": "stent", "2": "medical"}  # "3, Other": no contract arm
SEX = {"0": "female", "1": "male"}
LIMB = {"1": "left", "2": "right"}
SEGMENTS = ["ivc", "common_iliac", "external_iliac", "common_femoral", "femoral"]  # codes 1..5; 6 is "Other"
CEAP = {"3": "C3", "41": "C4a", "42": "C4b", "43": "C4c", "5": "C5", "6": "C6"}
COMPRESSION = {"1": "none", "2": "intermittent", "3": "daily"}  # "4, Other": left empty
AE = {"1": "stent_thrombosis", "2": "reintervention", "3": "major_bleeding"}  # "99, Other": not imported
WINDOWS = {0: (0, 30), 6: (150, 215), 12: (330, 400)}

HEAD = """
[profile]
name = "{name}"
version = 1
format = "redcap"
description = "Written by hand for a test."

[study]
study_id = "VENOREG"
study_name = "Venous registry"
design = "observational"
visit_months = [0, 6, 12]
"""

CLASSIC_FIELDS = """
[fields]
patient_id = "record_id"
center_id = "site"
arm = "treatment"
enrolled_on = "enroll_date"
age_years = "age"
sex = "sex"
bmi = "bmi"
limb_side = "index_limb"
months_since_dvt = "months_since_dvt"
obstruction_site = "obst"
stenosis_pct = "stenosis_pct"
lesion_length_mm = "lesion_length_mm"
ceap_c = "ceap"
last_contact_date = "last_contact_date"
death_date = "death_date"
procedure_date = "procedure_date"
technical_success = "technical_success"
stents_placed = "stents_placed"
max_stent_diameter_mm = "stent_diameter_mm"
below_inguinal_ligament = "below_inguinal_ligament"
visit_date = "visit_date"
v_pain = "vil_pain"
v_cramps = "vil_cramps"
v_heaviness = "vil_heaviness"
v_paresthesia = "vil_paresthesia"
v_pruritus = "vil_pruritus"
v_edema = "vil_edema"
v_induration = "vil_induration"
v_hyperpigmentation = "vil_hyperpigmentation"
v_redness = "vil_redness"
v_ectasia = "vil_ectasia"
v_calf_pain = "vil_calf_pain"
ulcer_present = "ulcer"
vcss = "vcss"
compression_use = "compression"

[population]      # the arm choice 3 (Other) is left out on purpose: an unmapped arm choice refuses the import
exclude_arms = ["Other"]

[adverse_events]
instrument = "adverse_events"
event_type = "ae_type"
event_date = "ae_date"
serious = "ae_serious"

[checkbox_order]
obstruction_site = ["ivc", "common_iliac", "external_iliac", "common_femoral", "femoral"]

[values.sex]      # keyed by the raw code: 0 is Female here, not "no"
0 = "female"
1 = "male"

[values.arm]
1 = "stent"
2 = "medical"

[values.limb_side]  # keyed by the dictionary's label
Left = "left"
Right = "right"

[values.obstruction_site]
1 = "ivc"
2 = "common_iliac"
3 = "external_iliac"
4 = "common_femoral"
5 = "femoral"

[values.compression_use]
None = "none"
Intermittent = "intermittent"
Daily = "daily"

[values.event_type]
"Stent thrombosis" = "stent_thrombosis"
Reintervention = "reintervention"
"Major bleeding" = "major_bleeding"
"""

BY_MONTH_FIELD = """
[visits]
instrument = "visit"
month = "visit_month"
"""

BY_WINDOWS = """
[visits]
instrument = "visit"

[visits.windows]  # month = [first day, last day] after the enrolment date
0 = [0, 30]
6 = [150, 215]
12 = [330, 400]
"""

# --- a longitudinal project with two arms ----------------------------------------------------------

LONG_DICTIONARY = """"Variable / Field Name","Form Name","Section Header","Field Type","Field Label","Choices, Calculations, OR Slider Labels","Field Note","Text Validation Type OR Show Slider Number","Text Validation Min","Text Validation Max","Identifier?","Branching Logic (Show field only if...)","Required Field?","Custom Alignment","Question Number (surveys only)","Matrix Group Name","Matrix Ranking?","Field Annotation"
record_id,baseline,,text,"Record ID",,,,,,,,,,,,,
enroll_date,baseline,,text,"Date of enrolment",,,date_ymd,,,,,y,,,,,
age,baseline,,text,"Age at enrolment (years)",,,integer,18,90,,,y,,,,,
sex,baseline,,radio,"Sex","0, Female | 1, Male",,,,,,,y,,,,,
index_limb,baseline,,radio,"Index limb","1, Left | 2, Right",,,,,,,y,,,,,
months_since_dvt,baseline,,text,"Months since the DVT",,,integer,,,,,y,,,,,
obstruction_site,baseline,"Venography",dropdown,"Most proximal obstructed segment","1, Inferior vena cava | 2, Common iliac vein | 3, External iliac vein | 4, Common femoral vein | 5, Femoral vein",,,,,,,y,,,,,
stenosis_pct,baseline,,text,"Worst stenosis (%)",,,integer,0,100,,,y,,,,,
ceap,baseline,,dropdown,"CEAP clinical class","1, C3 | 2, C4a | 3, C4b | 4, C4c | 5, C5 | 6, C6",,,,,,,y,,,,,
last_contact_date,baseline,,text,"Date of last contact",,,date_ymd,,,,,,,,,,
death_date,baseline,,text,"Date of death",,,date_ymd,,,,,,,,,,
procedure_date,baseline,"Index procedure",text,"Procedure date",,,date_ymd,,,,,,,,,,
technical_success,baseline,,yesno,"Technical success",,,,,,,,,,,,,
stents_placed,baseline,,text,"Stents placed",,,integer,0,6,,,,,,,,
below_inguinal_ligament,baseline,,yesno,"A stent below the inguinal ligament",,,,,,,,,,,,,
visit_date,visit,,text,"Date of the visit",,,date_ymd,,,,,y,,,,,
vil_pain,visit,"Villalta scale",radio,"Pain","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_cramps,visit,,radio,"Cramps","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_heaviness,visit,,radio,"Heaviness","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_paresthesia,visit,,radio,"Paresthesia","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_pruritus,visit,,radio,"Pruritus","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_edema,visit,,radio,"Pretibial edema","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_induration,visit,,radio,"Skin induration","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_hyperpigmentation,visit,,radio,"Hyperpigmentation","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_redness,visit,,radio,"Redness","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_ectasia,visit,,radio,"Venous ectasia","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
vil_calf_pain,visit,,radio,"Pain on calf compression","0, Absent | 1, Mild | 2, Moderate | 3, Severe",,,,,,,y,LH,,villalta,,
ulcer,visit,,yesno,"Venous ulcer",,,,,,,,y,,,,,
ae_date,adverse_events,,text,"Date of onset",,,date_ymd,,,,,y,,,,,
ae_type,adverse_events,,dropdown,"Event","1, Stent thrombosis | 2, Reintervention | 98, Other",,,,,,,y,,,,,
ae_serious,adverse_events,,yesno,"Serious",,,,,,,,y,,,,,
"""

LONG_EXPORT = """record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,enroll_date,age,sex,index_limb,months_since_dvt,obstruction_site,stenosis_pct,ceap,last_contact_date,death_date,procedure_date,technical_success,stents_placed,below_inguinal_ligament,baseline_complete,visit_date,vil_pain,vil_cramps,vil_heaviness,vil_paresthesia,vil_pruritus,vil_edema,vil_induration,vil_hyperpigmentation,vil_redness,vil_ectasia,vil_calf_pain,ulcer,visit_complete,ae_date,ae_type,ae_serious,adverse_events_complete
201,baseline_arm_1,,,2021-09-06,45,1,1,12,2,90,3,2022-09-20,,2021-09-08,1,2,0,2,2021-09-06,2,1,2,1,1,2,1,2,0,1,1,0,2,,,,
201,unscheduled_arm_1,,,,,,,,,,,,,,,,,,2021-12-01,1,1,1,1,0,1,1,2,0,1,0,0,2,,,,
201,month_6_arm_1,,,,,,,,,,,,,,,,,,2022-03-07,1,0,1,0,0,1,0,1,0,1,0,0,2,,,,
201,month_12_arm_1,,,,,,,,,,,,,,,,,,2022-09-05,0,0,1,0,0,1,0,1,0,0,0,0,2,,,,
202,baseline_arm_1,,,2021-10-11,52,0,2,24,1,100,5,2022-10-17,,2021-10-12,0,0,0,2,2021-10-11,3,2,2,2,1,3,2,3,1,2,2,0,2,,,,
202,month_6_arm_1,,,,,,,,,,,,,,,,,,2022-04-11,2,2,2,1,1,2,2,3,1,2,1,1,2,,,,
202,month_12_arm_1,,,,,,,,,,,,,,,,,,2022-10-10,2,1,2,1,1,2,2,2,1,1,1,0,2,,,,
202,month_6_arm_1,adverse_events,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2022-01-15,1,1,2
202,month_6_arm_1,adverse_events,2,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2022-02-20,98,0,2
203,baseline_arm_2,,,2021-11-02,67,0,1,40,3,65,1,2022-11-08,,,,,,2,2021-11-02,0,1,1,0,0,1,1,1,0,0,0,0,2,,,,
203,month_6_arm_2,,,,,,,,,,,,,,,,,,2022-05-03,0,1,1,0,0,1,1,1,0,0,0,0,2,,,,
203,month_12_arm_2,,,,,,,,,,,,,,,,,,2022-11-01,1,1,1,0,0,1,1,1,0,1,0,0,2,,,,
204,baseline_arm_2,,,2022-01-17,38,1,2,7,4,55,2,2022-07-20,2022-07-20,,,,,2,2022-01-17,1,1,2,1,0,1,0,1,0,1,1,0,2,,,,
204,month_6_arm_2,,,,,,,,,,,,,,,,,,2022-07-18,1,1,2,1,0,2,0,1,0,1,1,0,2,,,,
"""

LONG_PROFILE = """
[study]
study_id = "VENOREG"
study_name = "Venous registry"
design = "observational"
visit_months = [0, 6, 12]
center_id = "OSLO"       # one centre, no data access groups

[events]
baseline_arm_1 = 0
month_6_arm_1 = 6
month_12_arm_1 = 12
baseline_arm_2 = 0
month_6_arm_2 = 6
month_12_arm_2 = 12

[arms]                   # the REDCap arm of each record: events ending in _arm_1, _arm_2
1 = "stent"
2 = "medical"

[fields]
patient_id = "record_id"
enrolled_on = "enroll_date"
age_years = "age"
sex = "sex"
limb_side = "index_limb"
months_since_dvt = "months_since_dvt"
obstruction_site = "obstruction_site"
stenosis_pct = "stenosis_pct"
ceap_c = "ceap"
last_contact_date = "last_contact_date"
death_date = "death_date"
procedure_date = "procedure_date"
technical_success = "technical_success"
stents_placed = "stents_placed"
below_inguinal_ligament = "below_inguinal_ligament"
visit_date = "visit_date"
v_pain = "vil_pain"
v_cramps = "vil_cramps"
v_heaviness = "vil_heaviness"
v_paresthesia = "vil_paresthesia"
v_pruritus = "vil_pruritus"
v_edema = "vil_edema"
v_induration = "vil_induration"
v_hyperpigmentation = "vil_hyperpigmentation"
v_redness = "vil_redness"
v_ectasia = "vil_ectasia"
v_calf_pain = "vil_calf_pain"
ulcer_present = "ulcer"

[adverse_events]
instrument = "adverse_events"
event_type = "ae_type"
event_date = "ae_date"
serious = "ae_serious"

[values.sex]      # keyed by the dictionary's label
Female = "female"
Male = "male"

[values.limb_side]
Left = "left"
Right = "right"

[values.obstruction_site]
"Inferior vena cava" = "ivc"
"Common iliac vein" = "common_iliac"
"External iliac vein" = "external_iliac"
"Common femoral vein" = "common_femoral"
"Femoral vein" = "femoral"

[values.event_type]
"Stent thrombosis" = "stent_thrombosis"
Reintervention = "reintervention"
"""
LONG_ARM = {"1": "stent", "2": "medical"}
LONG_SEX = {"0": "female", "1": "male"}
LONG_SITE = {"1": "ivc", "2": "common_iliac", "3": "external_iliac", "4": "common_femoral", "5": "femoral"}
LONG_CEAP = {"1": "C3", "2": "C4a", "3": "C4b", "4": "C4c", "5": "C5", "6": "C6"}
LONG_MONTH = {"baseline": 0, "month_6": 6, "month_12": 12}  # "unscheduled" is not a visit month


@pytest.fixture
def funnel(monkeypatch) -> list[tuple[str, str, int, bool]]:
    """Every step the import funnel records: (file, step, records, loss)."""
    steps: list[tuple[str, str, int, bool]] = []
    drop = Funnel.drop

    def recording(self, file, step, records, *, loss=True):
        if records:
            steps.append((file, step, int(records), loss))
        drop(self, file, step, records, loss=loss)

    monkeypatch.setattr(Funnel, "drop", recording)
    return steps


def _import(tmp_path: Path, profile: str, files: dict[str, str]):
    (tmp_path / "profile.toml").write_text(profile, encoding="utf-8")
    sources = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        sources.append(tmp_path / name)
    out = tmp_path / "imported.duckdb"
    report = run_import(tmp_path / "profile.toml", sources, out, Options(synthetic=False), progress=lambda _: None)
    return report, out


def _table(out: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(out), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _issues(report) -> set[tuple]:
    return {tuple(r) for r in report.issues[["severity", "rule", "record", "column", "value"]].itertuples(index=False)}


def _day(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def _number(text: str, kind=int):
    return kind(text) if text else None


def _classic_expected(by_windows: bool) -> dict[str, list[tuple]]:
    """The contract tables recomputed from CLASSIC_EXPORT with the meanings written above."""
    rows = _csv(CLASSIC_EXPORT)
    records = {r["record_id"]: r for r in rows if not r["redcap_repeat_instrument"]}
    kept = {rid: r for rid, r in records.items() if r["treatment"] in ARM}
    patients, visits, procedures, events = [], [], [], []
    for rid, r in kept.items():
        segment = next(SEGMENTS[i] for i in range(5) if r[f"obst___{i + 1}"] == "1")
        patients.append(
            (
                rid,
                SITE[r["site"]],
                ARM[r["treatment"]],
                date.fromisoformat(r["enroll_date"]),
                int(r["age"]),
                SEX[r["sex"]],
                _number(r["bmi"], float),
                LIMB[r["index_limb"]],
                int(r["months_since_dvt"]),
                segment,
                int(r["stenosis_pct"]),
                _number(r["lesion_length_mm"]),
                CEAP[r["ceap"]],
                _day(r["enroll_date"], r["last_contact_date"]),
            )
        )
        if r["procedure_date"]:
            procedures.append(
                (
                    rid,
                    _day(r["enroll_date"], r["procedure_date"]),
                    r["technical_success"] == "1",
                    int(r["stents_placed"]),
                    _number(r["stent_diameter_mm"]),
                    r["below_inguinal_ligament"] == "1",
                )
            )
        if r["death_date"]:
            events.append((rid, _day(r["enroll_date"], r["death_date"]), "death", True))
    for v in rows:
        rid = v["record_id"]
        if rid not in kept:
            continue
        start = kept[rid]["enroll_date"]
        if v["redcap_repeat_instrument"] == "visit":
            day = _day(start, v["visit_date"])
            if by_windows:
                month = next((m for m, (lo, hi) in WINDOWS.items() if lo <= day <= hi), None)
                if month is None:
                    continue
            else:
                month = int(v["visit_month"])
            items = tuple(int(v[f"vil_{i}"]) for i in ITEMS)
            visits.append(
                (rid, month, day, *items, v["ulcer"] == "1", int(v["vcss"]), COMPRESSION.get(v["compression"]))
            )
        if v["redcap_repeat_instrument"] == "adverse_events" and v["ae_type"] in AE:
            events.append((rid, _day(start, v["ae_date"]), AE[v["ae_type"]], v["ae_serious"] == "1"))
    return {
        "patients": sorted(patients),
        "visits": sorted(visits),
        "procedures": sorted(procedures),
        "events": sorted(events),
    }


PATIENTS_SQL = (
    "SELECT patient_id, center_id, arm, enrolled_on, age_years, sex, bmi, limb_side, months_since_dvt, "
    "obstruction_site, stenosis_pct, lesion_length_mm, ceap_c, last_contact_day FROM patients ORDER BY ALL"
)
VISITS_SQL = (
    "SELECT patient_id, visit_month, visit_day, "
    + ", ".join(f"v_{i}" for i in ITEMS)
    + ", ulcer_present, vcss, compression_use FROM visits ORDER BY ALL"
)
PROCEDURES_SQL = (
    "SELECT patient_id, procedure_day, technical_success, stents_placed, max_stent_diameter_mm, "
    "below_inguinal_ligament FROM procedures ORDER BY ALL"
)
EVENTS_SQL = "SELECT patient_id, event_day, event_type, serious FROM events ORDER BY ALL"


def _assert_tables(out: Path, expected: dict[str, list[tuple]]) -> None:
    assert _table(out, PATIENTS_SQL) == expected["patients"]
    assert _table(out, VISITS_SQL) == expected["visits"]
    assert _table(out, PROCEDURES_SQL) == expected["procedures"]
    assert _table(out, EVENTS_SQL) == expected["events"]
    # Baselines: every patient's month-0 Villalta total, the sum of its items as the export holds them.
    baselines = {(v[0], sum(v[3:14])) for v in expected["visits"] if v[1] == 0}
    assert set(_table(out, "SELECT patient_id, villalta_total FROM visits WHERE visit_month = 0")) == baselines
    assert {b[0] for b in baselines} == {p[0] for p in expected["patients"]}


def test_a_classic_project_with_a_repeating_visit_instrument_imports_faithfully(tmp_path, funnel):
    profile = HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": CLASSIC_DICTIONARY}
    report, out = _import(tmp_path, profile, files)
    assert report.imported and report.errors == 0, report.text()
    expected = _classic_expected(by_windows=False)
    _assert_tables(out, expected)
    # What the import says it set aside, and nothing else.
    assert _issues(report) == {
        ("warning", "file:bom", "", "", ""),
        ("warning", "redcap:instrument", "", "", ""),
        ("warning", "redcap:unmapped", "104", "compression", "4"),
        ("warning", "redcap:unmapped", "104", "ae_type", "99"),
    }
    messages = dict(zip(report.issues["column"] + report.issues["rule"], report.issues["message"], strict=True))
    assert messages["compressionredcap:unmapped"] == (
        "choice 4 (Other) of 'compression' has no value in visits.compression_use: value left empty; map it in "
        '[values.compression_use] of a copy of the profile (e.g. "4" = "one of none, intermittent, daily")'
    )
    assert messages["redcap:instrument"] == (
        "1 row of the repeating instrument 'medications' not imported: the profile reads the visits instrument "
        "([visits] instrument = 'visit') and the adverse events instrument ([adverse_events] instrument = "
        "'adverse_events')"
    )
    patient_106 = sum(r["record_id"] == "106" for r in _csv(CLASSIC_EXPORT))
    assert sorted(funnel) == sorted(
        [
            ("classic_export.csv", "repeating instrument medications not in the profile", 1, False),
            ("classic_export.csv", "arm left out: [population] exclude_arms", patient_106, False),
            ("classic_export.csv", "adverse event with an unmapped choice", 1, False),
        ]
    )


def test_sex_coded_0_female_1_male_is_not_read_as_yes_no(tmp_path, funnel):
    """REDCap's demo codes sex as a 0/1 radio: the value map turns the codes into sexes."""
    profile = HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": CLASSIC_DICTIONARY}
    report, out = _import(tmp_path, profile, files)
    assert report.imported, report.text()
    assert dict(_table(out, "SELECT patient_id, sex FROM patients")) == {
        "101": "female",
        "102": "male",
        "103": "female",
        "104": "male",
        "105": "female",
    }


def test_classic_visits_placed_by_their_date_in_the_profile_windows(tmp_path, funnel):
    profile = HEAD.format(name="windows") + BY_WINDOWS + CLASSIC_FIELDS
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": CLASSIC_DICTIONARY}
    report, out = _import(tmp_path, profile, files)
    assert report.imported and report.errors == 0, report.text()
    expected = _classic_expected(by_windows=True)
    _assert_tables(out, expected)
    # Patient 102's month-12 visit is 420 days after enrolment, outside every window.
    assert len(expected["visits"]) == len(_classic_expected(by_windows=False)["visits"]) - 1
    outside = report.issues[report.issues.rule == "redcap:visit"]
    assert outside[["record", "column", "value"]].values.tolist() == [["102", "visit_date", "2023-03-30"]]
    assert outside.message.tolist() == [
        "the visit's day after enrolment falls in no window of [visits.windows] (or the enrolment date is "
        "missing): visit not imported"
    ]
    assert ("classic_export.csv", "visit without a month", 1, True) in funnel


def test_a_longitudinal_project_with_two_arms_and_one_centre(tmp_path, funnel):
    files = {"long_export.csv": LONG_EXPORT, "long_dictionary.csv": LONG_DICTIONARY}
    report, out = _import(tmp_path, HEAD.format(name="long").split("[study]")[0] + LONG_PROFILE, files)
    assert report.imported and report.errors == 0, report.text()
    rows = _csv(LONG_EXPORT)
    records = {r["record_id"]: r for r in rows if r["redcap_event_name"].startswith("baseline_")}
    patients, visits, events = [], [], []
    for rid, r in records.items():
        start = r["enroll_date"]
        patients.append(
            (
                rid,
                "OSLO",
                LONG_ARM[r["redcap_event_name"][-1]],
                date.fromisoformat(start),
                int(r["age"]),
                LONG_SEX[r["sex"]],
                None,
                {"1": "left", "2": "right"}[r["index_limb"]],
                int(r["months_since_dvt"]),
                LONG_SITE[r["obstruction_site"]],
                int(r["stenosis_pct"]),
                None,
                LONG_CEAP[r["ceap"]],
                _day(start, r["last_contact_date"]),
            )
        )
        if r["death_date"]:
            events.append((rid, _day(start, r["death_date"]), "death", True))
    for v in rows:
        start = records[v["record_id"]]["enroll_date"]
        event = v["redcap_event_name"].rsplit("_arm_", 1)[0]
        if not v["redcap_repeat_instrument"] and event in LONG_MONTH:
            items = tuple(int(v[f"vil_{i}"]) for i in ITEMS)
            visits.append((v["record_id"], LONG_MONTH[event], _day(start, v["visit_date"]), *items, v["ulcer"] == "1"))
        if v["redcap_repeat_instrument"] == "adverse_events" and v["ae_type"] == "1":
            events.append((v["record_id"], _day(start, v["ae_date"]), "stent_thrombosis", v["ae_serious"] == "1"))
    assert _table(out, PATIENTS_SQL) == sorted(patients)
    got = _table(out, VISITS_SQL)
    assert [g[:-2] for g in got] == sorted(visits) and {g[-2:] for g in got} == {(None, None)}
    assert _table(out, EVENTS_SQL) == sorted(events)
    assert {(p[0], p[2]) for p in patients} == {
        ("201", "stent"),
        ("202", "stent"),
        ("203", "medical"),
        ("204", "medical"),
    }
    unscheduled = [r for r in rows if r["redcap_event_name"] == "unscheduled_arm_1"]
    assert len(unscheduled) == 1
    assert _issues(report) == {
        ("warning", "redcap:event", "201", "redcap_event_name", "unscheduled_arm_1"),
        ("warning", "redcap:unmapped", "202", "ae_type", "98"),
        # 202's ulcer is gone at month 12 and the project records no healing (checks.ulcer_healing)
        ("warning", "events:healing", "202 / month 12", "ulcer_present", "false"),
    }
    assert sorted(funnel) == [
        ("long_export.csv", "adverse event with an unmapped choice", 1, False),
        ("long_export.csv", "event not in [events]", 1, True),
    ]


# --- refusals that name the file, the field, its values and the profile key that fixes them -------


def _errors(report) -> list[tuple[str, str, str]]:
    errors = report.issues[report.issues.severity == "error"]
    return list(zip(errors.rule, errors.file, errors.message, strict=True))


def test_a_classic_export_without_the_visit_instrument_named_is_refused_with_the_key(tmp_path, funnel):
    profile = HEAD.format(name="classic") + CLASSIC_FIELDS
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": CLASSIC_DICTIONARY}
    report, _ = _import(tmp_path, profile, files)
    assert not report.imported
    assert _errors(report) == [
        (
            "redcap:classic",
            "classic_export.csv",
            "a classic project (no redcap_event_name column): name the repeating instrument that holds the visits "
            "in [visits] instrument (repeating instruments in the export: adverse_events, medications, visit); the "
            "visits are read once it is set (the patients and adverse events are checked now)",
        ),
        (
            "redcap:classic",
            "classic_export.csv",
            "a classic project (no redcap_event_name column): name the field holding each visit's month in "
            "[visits] month, or give [visits.windows] (month = [first day, last day] after the enrolment date) "
            "to place each visit by its date ([fields] visit_date = 'visit_date'); the visits are read once it is "
            "set (the patients and adverse events are checked now)",
        ),
    ]


def test_a_checkbox_without_its_order_is_refused_with_the_key(tmp_path, funnel):
    profile = (HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS).replace(
        'obstruction_site = ["ivc", "common_iliac", "external_iliac", "common_femoral", "femoral"]', ""
    )
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": CLASSIC_DICTIONARY}
    report, _ = _import(tmp_path, profile, files)
    assert not report.imported
    assert _errors(report) == [
        (
            "redcap:checkbox",
            "classic_dictionary.csv",
            "field 'obst' is a checkbox (columns obst___1, obst___2, obst___3, obst___4, obst___5, obst___6) mapped "
            "to patients.obstruction_site, which holds one value: give the order that picks one ticked choice in "
            "[checkbox_order] obstruction_site = ['ivc', 'common_iliac', 'external_iliac', 'common_femoral', "
            "'femoral'] (the first ticked in that order is kept)",
        )
    ]


def test_score_radios_whose_codes_are_not_the_scores_are_refused_with_the_key(tmp_path, funnel):
    """A Villalta item coded 1-4 would be read one point too high: refused, naming the value map."""
    dictionary = CLASSIC_DICTIONARY.replace(
        'vil_pain,visit,"Villalta scale",radio,"Pain","0, Absent | 1, Mild | 2, Moderate | 3, Severe"',
        'vil_pain,visit,"Villalta scale",radio,"Pain","1, Absent | 2, Mild | 3, Moderate | 4, Severe"',
    )
    assert dictionary != CLASSIC_DICTIONARY
    profile = HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": dictionary}
    report, _ = _import(tmp_path, profile, files)
    assert not report.imported
    assert _errors(report) == [
        (
            "redcap:codes",
            "classic_dictionary.csv",
            "field 'vil_pain' (v_pain) has choices 1, Absent | 2, Mild | 3, Moderate | 4, Severe whose codes are not "
            "Villalta scores 0-3 (0 Absent, 1 Mild, 2 Moderate, 3 Severe): map each code to its value in "
            '[values.v_pain] of a copy of the profile (e.g. "1" = ...); its values are checked once its codes are mapped',
        )
    ]


def test_score_radios_recoded_by_a_value_map_import_the_mapped_scores(tmp_path, funnel):
    """The same 1-4 coding with [values.v_pain] keyed by the raw code: each score one below its code."""
    dictionary = CLASSIC_DICTIONARY.replace(
        'vil_pain,visit,"Villalta scale",radio,"Pain","0, Absent | 1, Mild | 2, Moderate | 3, Severe"',
        'vil_pain,visit,"Villalta scale",radio,"Pain","1, Absent | 2, Mild | 3, Moderate | 4, Severe"',
    )
    lines = CLASSIC_EXPORT.splitlines()
    header = lines[0].split(",")
    at = header.index("vil_pain")
    recoded = []
    for line in lines[1:]:
        cells = line.split(",")
        if cells[at]:
            cells[at] = str(int(cells[at]) + 1)
        recoded.append(",".join(cells))
    export = "\n".join([lines[0], *recoded]) + "\n"
    profile = HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS
    profile += '\n[values.v_pain]\n1 = "0"\n2 = "1"\n3 = "2"\n4 = "3"\n'
    files = {"classic_export.csv": export, "classic_dictionary.csv": dictionary}
    report, out = _import(tmp_path, profile, files)
    assert report.imported, report.text()
    _assert_tables(out, _classic_expected(by_windows=False))


def test_no_site_field_no_centre_and_no_data_access_groups_is_refused_with_the_keys(tmp_path, funnel):
    profile = (HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS).replace('center_id = "site"\n', "")
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": CLASSIC_DICTIONARY}
    report, _ = _import(tmp_path, profile, files)
    assert not report.imported
    assert _errors(report) == [
        (
            "redcap:center",
            "classic_export.csv",
            "no centre: the export has no redcap_data_access_group column; name the site field in [fields] "
            'center_id (e.g. center_id = "site"), or give the one centre in [study] center_id (e.g. center_id = '
            '"LEEDS")',
        )
    ]


def test_a_visit_field_coded_as_visit_numbers_is_refused_with_the_key(tmp_path, funnel):
    """A dropdown "1, Baseline | 2, Month 6 | 3, Month 12" holds visit numbers, not months."""
    dictionary = CLASSIC_DICTIONARY.replace(
        '"0, Baseline | 6, Month 6 | 12, Month 12"', '"1, Baseline | 2, Month 6 | 3, Month 12"'
    )
    assert dictionary != CLASSIC_DICTIONARY
    profile = HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": dictionary}
    report, _ = _import(tmp_path, profile, files)
    assert not report.imported
    assert _errors(report) == [
        (
            "redcap:codes",
            "classic_dictionary.csv",
            "field 'visit_month' (visit_month) has choices 1, Baseline | 2, Month 6 | 3, Month 12 whose codes are not "
            "months of [study] visit_months [0, 6, 12]: map each code to its value in [values.visit_month] of a "
            'copy of the profile (e.g. "1" = ...); a choice that is no scheduled visit (an unscheduled visit) maps '
            'to "" (e.g. "1" = ""): its visits are not imported, each named in a warning; the visits are read once '
            "the codes are months (the other fields are checked now)",
        )
    ]


def _recode(export: str, column: str, recode) -> str:
    """The export with `column` recoded cell by cell (`recode(record_id, instance, value)`)."""
    rows = _csv(export)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        if row[column]:
            row[column] = recode(row["record_id"], row["redcap_repeat_instance"], row[column])
        writer.writerow(row)
    return out.getvalue()


def test_a_yes_no_radio_coded_1_2_is_read_by_its_labels_and_not_assessed_is_skipped(tmp_path, funnel):
    """Ulcer as a radio "1, Yes | 2, No | 9, Not assessed": 2 is no (not true, not a type error); a
    visit whose ulcer was not assessed cannot be imported (the contract requires it): skipped with a
    warning and counted as lost in the funnel."""
    dictionary = CLASSIC_DICTIONARY.replace(
        'ulcer,visit,,yesno,"Venous ulcer",,', 'ulcer,visit,,radio,"Venous ulcer","1, Yes | 2, No | 9, Not assessed",'
    )
    assert dictionary != CLASSIC_DICTIONARY
    export = _recode(
        CLASSIC_EXPORT,
        "ulcer",
        lambda rid, instance, v: "9" if (rid, instance) == ("105", "3") else {"0": "2"}.get(v, v),
    )
    profile = HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS
    report, out = _import(tmp_path, profile, {"classic_export.csv": export, "classic_dictionary.csv": dictionary})
    assert report.imported and report.errors == 0, report.text()
    expected = _classic_expected(by_windows=False)
    expected["visits"] = [v for v in expected["visits"] if v[:2] != ("105", 12)]
    _assert_tables(out, expected)
    assert sum(v[14] for v in expected["visits"]) == 1  # patient 103's month-6 ulcer, read as true
    skipped = report.issues[(report.issues.rule == "redcap:unmapped") & (report.issues.column == "ulcer")]
    assert skipped[["record", "value", "message"]].values.tolist() == [
        [
            "105",
            "9",
            "choice 9 (Not assessed) of 'ulcer' has no value in visits.ulcer_present: visit not imported; map it in "
            '[values.ulcer_present] of a copy of the profile (e.g. "9" = "true or false")',
        ]
    ]
    assert ("classic_export.csv", "visit with an unmapped choice", 1, True) in funnel


def test_a_redcap_arm_missing_from_arms_refuses_the_import_naming_it(tmp_path, funnel):
    """An arm of the project's REDCap arms that [arms] does not map refuses the import, each of its patients an
    error (it left them out with a warning: review 16, finding 2)."""
    profile = HEAD.format(name="long").split("[study]")[0] + LONG_PROFILE.replace('2 = "medical"\n', "")
    files = {"long_export.csv": LONG_EXPORT, "long_dictionary.csv": LONG_DICTIONARY}
    report, _out = _import(tmp_path, profile, files)
    assert not report.imported
    arm_2 = [r for r in _csv(LONG_EXPORT) if r["redcap_event_name"].endswith("_arm_2")]
    assert {r["record_id"] for r in arm_2} == {"203", "204"}
    errors = report.issues[report.issues.severity == "error"]
    assert sorted(errors[["rule", "record", "value", "message"]].values.tolist()) == [
        [
            "redcap:unmapped",
            rid,
            "2",
            "choice 2 (arm_2) of 'redcap_event_name' has no value in patients.arm: the import is refused rather than "
            'leave out every patient of this arm; map it in [arms] of a copy of the profile (e.g. "2" = "one of '
            'stent, medical"), or leave the arm out on purpose with [population] exclude_arms = ["arm_2"]',
        ]
        for rid in ("203", "204")
    ]


def test_a_redcap_arm_left_out_with_exclude_arms_leaves_its_patients_out_counted(tmp_path, funnel):
    profile = HEAD.format(name="long").split("[study]")[0] + LONG_PROFILE.replace('2 = "medical"\n', "")
    profile += '\n[population]\nexclude_arms = ["2"]\n'
    files = {"long_export.csv": LONG_EXPORT, "long_dictionary.csv": LONG_DICTIONARY}
    report, out = _import(tmp_path, profile, files)
    assert report.imported and report.errors == 0, report.text()
    arm_2 = [r for r in _csv(LONG_EXPORT) if r["redcap_event_name"].endswith("_arm_2")]
    stent = sorted({r["record_id"] for r in _csv(LONG_EXPORT) if r["redcap_event_name"].endswith("_arm_1")})
    assert _table(out, "SELECT patient_id, arm FROM patients ORDER BY 1") == [(p, "stent") for p in stent]
    assert _table(out, "SELECT DISTINCT patient_id FROM visits ORDER BY 1") == [(p,) for p in stent]
    assert report.issues[report.issues.column == "redcap_event_name"].value.tolist() == ["unscheduled_arm_1"]
    assert ("long_export.csv", "arm left out: [population] exclude_arms", len(arm_2), False) in funnel


def test_a_longitudinal_profile_without_a_month_0_event_is_refused_with_the_events_found(tmp_path, funnel):
    """Events named for another project: no baseline event, so no patient row; refused, listing the
    export's events (not an import with no patients)."""
    profile = HEAD.format(name="long").split("[study]")[0] + LONG_PROFILE.replace("baseline_arm_", "enrolment_arm_")
    files = {"long_export.csv": LONG_EXPORT, "long_dictionary.csv": LONG_DICTIONARY}
    report, _ = _import(tmp_path, profile, files)
    assert not report.imported
    events = sorted({r["redcap_event_name"] for r in _csv(LONG_EXPORT)})
    assert _errors(report) == [
        (
            "redcap:events",
            "long_export.csv",
            "no row of the export is at a month-0 event of [events] (enrolment_arm_1, enrolment_arm_2), where "
            "patient fields are read: map the baseline event(s) to 0 in [events] (events in the export: "
            f"{', '.join(events)}); the export is checked with each record's first row as its baseline row until "
            "then",
        )
    ]


API_HEADER = (
    '"field_name","form_name","section_header","field_type","field_label","select_choices_or_calculations",'
    '"field_note","text_validation_type_or_show_slider_number","text_validation_min","text_validation_max",'
    '"identifier","branching_logic","required_field","custom_alignment","question_number","matrix_group_name",'
    '"matrix_ranking","field_annotation"'
)


def test_a_dictionary_exported_through_the_api_imports_the_same(tmp_path, funnel):
    """The metadata as the API exports it (PyCap, redcapAPI, REDCapR): snake_case column names."""
    lines = CLASSIC_DICTIONARY.lstrip("\ufeff").splitlines()
    assert lines[0].startswith('"Variable / Field Name"')
    dictionary = "\n".join([API_HEADER, *lines[1:]]) + "\n"
    profile = HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS
    report, out = _import(tmp_path, profile, {"classic_export.csv": CLASSIC_EXPORT, "metadata.csv": dictionary})
    assert report.imported and report.errors == 0, report.text()
    _assert_tables(out, _classic_expected(by_windows=False))


def test_fields_the_export_lacks_are_refused_by_key_the_optional_ones_marked(tmp_path, funnel):
    """A profile naming fields the project does not have: each is named with its key; a missing
    optional one is a warning of its own (imported without it), not part of the refusal."""
    profile = HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS
    profile = profile.replace('age_years = "age"', 'age_years = "age_years"')
    profile = profile.replace('vcss = "vcss"\n', 'vcss = "vcss"\nveines_qol = "veines_qol"\n')
    profile = profile.replace('obstruction_site = "obst"', 'obstruction_site = "segments"')
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": CLASSIC_DICTIONARY}
    report, _ = _import(tmp_path, profile, files)
    assert not report.imported
    assert _errors(report) == [
        (
            "columns:classic_export",
            "classic_export.csv",
            "the export lacks column(s) 'age_years' ([fields] age_years); 'segments' ([fields] obstruction_site); "
            "the profile maps them: set each key to the field's name in a copy of profile 'classic', or export the "
            "field; the export is checked without them; the values of a missing column are checked once it is named",
        )
    ]
    warnings = report.issues[(report.issues.severity == "warning") & (report.issues.rule == "columns:classic_export")]
    assert list(warnings.message) == [
        "the export lacks optional column(s) 'veines_qol' ([fields] veines_qol): imported without them (left "
        "empty); set each key to the field's name in a copy of profile 'classic', or to \"\" if the project has "
        "no such field"
    ]


def test_a_value_map_left_out_is_refused_not_an_import_without_patients(tmp_path, funnel):
    """Without [values.sex] no sex code has a contract value: that is a missing map, not "Other";
    skipping every patient would import nothing, so the import is refused naming the key."""
    profile = (HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS).replace('0 = "female"\n1 = "male"\n', "")
    # Labels that are no contract term (a label "Female" is the term female but for case).
    dictionary = CLASSIC_DICTIONARY.replace('"0, Female | 1, Male"', '"0, Woman | 1, Man"')
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": dictionary}
    report, _ = _import(tmp_path, profile, files)
    assert not report.imported
    records = [r for r in _csv(CLASSIC_EXPORT) if not r["redcap_repeat_instrument"]]
    assert _errors(report) == [
        (
            "redcap:unmapped",
            "classic_export.csv",
            f"{len(records)} of {len(records)} records hold choices of 'sex' with no value in patients.sex "
            "(0 (Woman), 1 (Man)): map them in [values.sex] of a copy of the profile (each to one of female, male)",
        )
    ]


def test_the_report_shows_the_values_seen_per_field_not_mixed_across_fields(tmp_path, funnel):
    """One rule (a choice with no contract value) met in three fields of one export: one line per
    field, each with its own values and message (they were one line with '3, 4, 99' and the
    message of one of them). The arm's is an error (no arm left out): still one line of its own."""
    profile = HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS.replace('["Other"]', "[]")
    files = {"classic_export.csv": CLASSIC_EXPORT, "classic_dictionary.csv": CLASSIC_DICTIONARY}
    report, _out = _import(tmp_path, profile, files)
    frame = report.rule_frame()
    unmapped = frame[frame.Rule == "redcap:unmapped"][["File", "Field", "Count", "Values seen"]]
    assert [tuple(r) for r in unmapped.itertuples(index=False)] == [
        ("classic_export.csv", "treatment", 1, "3"),
        ("classic_export.csv", "ae_type", 1, "99"),
        ("classic_export.csv", "compression", 1, "4"),
    ]
    text = [line for line in report.text().splitlines() if "redcap:unmapped" in line]
    assert [line.rsplit("; values encountered ", 1)[1] for line in text] == [
        "in treatment: 3",
        "in ae_type: 99",
        "in compression: 4",
    ]

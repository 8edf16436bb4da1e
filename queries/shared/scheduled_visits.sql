-- scheduled_visits: the visits the app analyses: those at a month of their study's schedule
-- (`studies.visit_months`). A record at any other month (an unscheduled or unwindowed visit) is
-- read by no page and no derived table: the importer does not import it, and in a file built
-- elsewhere the data checks count it (rule schedule:visits). Every query reads visits through
-- this relation; queries/derived/ read it too (pts_explorer/derived.py).
-- grain: patient_id, visit_month
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT v.*
FROM visits AS v
INNER JOIN patients AS sp
    ON sp.patient_id = v.patient_id
INNER JOIN studies AS ss
    ON ss.study_id = sp.study_id
WHERE list_contains(ss.visit_months, v.visit_month) AND allowed_studies(sp.study_id)

"""CDISC ADaM: ADSL, ADQS (and/or ADVS), ADAE and optional ADTTE onto the contract."""

from __future__ import annotations

from typing import Any

from pts_explorer.importer.formats.base import TABLES, Bind, DatasetFacts, Mapper, _ref, day_between
from pts_explorer.importer.issues import ERROR, Issue
from pts_explorer.importer.readers import Staged


class AdamMapper(Mapper):
    """ADSL -> studies, patients, procedures and deaths; ADQS/ADVS -> visits; ADAE -> events."""

    ADSL_COLUMNS = (
        "patient_id",
        "study_id",
        "center_id",
        "arm",
        "enrolled_on",
        "age_years",
        "sex",
        "bmi",
        "limb_side",
        "months_since_dvt",
        "obstruction_site",
        "stenosis_pct",
        "lesion_length_mm",
        "ceap_c",
        "last_contact_date",
        "death_date",
        "procedure_date",
        "technical_success",
        "stents_placed",
        "max_stent_diameter_mm",
        "below_inguinal_ligament",
    )

    def run(self, facts: DatasetFacts) -> None:
        datasets = self.profile.section("datasets")
        found = {name: self.find(name, bool(need), f"ADaM dataset {name.upper()}") for name, need in datasets.items()}
        adsl = found.get("adsl")
        self.add_dataset_info(facts)
        self.v = {k: self.profile.variable("adsl", k) for k in self.ADSL_COLUMNS}
        if adsl is None or not self.require_columns(adsl, self.v, "ADSL"):
            for table in TABLES[1:]:
                self.create_empty(table)
            return
        self.check_dates(
            adsl, [self.v[k] for k in ("enrolled_on", "last_contact_date", "death_date", "procedure_date")]
        )
        study_ids = f"SELECT DISTINCT {self.adsl(adsl, 'study_id')} AS study_id FROM {adsl.table}"
        self.add_studies(study_ids, self.profile.section("study"), adsl.file)
        self._patients(adsl)
        self._procedures(adsl)
        self._visits(adsl, [s for s in (found.get("adqs"), found.get("advs")) if s is not None])
        self._events(adsl, found.get("adae"))
        if (adtte := found.get("adtte")) is not None:
            self._adtte(adtte)

    def adsl(self, adsl: Staged, column: str) -> str:
        """The ADSL column the profile maps `column` to, or NULL when it maps none."""
        return _ref(adsl, self.v[column])

    def _patients(self, adsl: Staged) -> None:
        b = Bind()
        plain = (
            "patient_id",
            "study_id",
            "center_id",
            "age_years",
            "bmi",
            "months_since_dvt",
            "stenosis_pct",
            "lesion_length_mm",
            "ceap_c",
            "enrolled_on",
        )
        select = {c: self.adsl(adsl, c) for c in plain}
        for column in ("arm", "sex", "limb_side", "obstruction_site"):
            values = _upper_keys(self.profile.values(column))
            select[column] = self.mapped(f"upper({self.adsl(adsl, column)})", column, b, values)
        select["last_contact_day"] = day_between(self.adsl(adsl, "enrolled_on"), self.adsl(adsl, "last_contact_date"))
        select |= {"_file": "_file", "_line": "_line"}
        self.create("patients", select, f"FROM {adsl.table}", b)

    def _procedures(self, adsl: Staged) -> None:
        if not self.v["procedure_date"]:
            self.create_empty("procedures")
            return
        b = Bind()
        flags = _upper_keys(self.profile.values("flag"))
        select = {
            "patient_id": self.adsl(adsl, "patient_id"),
            "procedure_day": day_between(self.adsl(adsl, "enrolled_on"), self.adsl(adsl, "procedure_date")),
            "stents_placed": self.adsl(adsl, "stents_placed"),
            "max_stent_diameter_mm": self.adsl(adsl, "max_stent_diameter_mm"),
            "_file": "_file",
            "_line": "_line",
        }
        for column in ("technical_success", "below_inguinal_ligament"):
            select[column] = self.mapped(f"upper({self.adsl(adsl, column)})", "flag", b, flags)
        source = f"FROM {adsl.table} WHERE {self.adsl(adsl, 'procedure_date')} IS NOT NULL"
        self.create("procedures", select, source, b)

    def _visits(self, adsl: Staged, records: list[Staged]) -> None:
        codes = {k: str(c) for k, c in self.profile.section("paramcd").items()}
        visit_map = {str(k).upper(): int(m) for k, m in self.profile.section("visits").get("AVISIT", {}).items()}
        parts = [p for src in records if (p := self._bds_records(src, visit_map))]
        if not parts:
            self.create_empty("visits")
            return
        union = " UNION ALL BY NAME ".join(sql for sql, _ in parts)
        self.con.execute(f"CREATE OR REPLACE TABLE bds AS {union}", {k: v for _, p in parts for k, v in p.items()})
        self._bds_problems(codes)
        b = Bind()
        enrolled = self.adsl(adsl, "enrolled_on")
        study_day = "try_cast(bds.ady AS DOUBLE)"
        select: dict[str, str] = {
            "patient_id": "bds.subject",
            "visit_month": "bds.month",
            "visit_day": f"coalesce(min({day_between(enrolled, 'bds.adt')}), "
            f"min(CASE WHEN {study_day} >= 1 THEN {study_day} - 1 ELSE {study_day} END))",
        }
        for column, code in codes.items():
            if column == "villalta_total":
                select["_given_villalta_total"] = f"min(bds.aval) FILTER (WHERE bds.paramcd = {b(code)})"
            elif column == "compression_use":
                picked = f"upper(min(bds.avalc) FILTER (WHERE bds.paramcd = {b(code)}))"
                select[column] = self.mapped(picked, column, b, _upper_keys(self.profile.values(column)))
            else:
                select[column] = f"min(bds.aval) FILTER (WHERE bds.paramcd = {b(code)})"
        select |= {"_file": "min(bds._file)", "_line": "min(bds._line)"}
        subject = self.adsl(adsl, "patient_id")
        source = f"FROM bds LEFT JOIN {adsl.table} ON {subject} = bds.subject WHERE bds.month IS NOT NULL"
        self.create("visits", select, source, b, "GROUP BY bds.subject, bds.month")

    def _bds_records(self, src: Staged, visit_map: dict[str, int]) -> tuple[str, dict[str, Any]] | None:
        """The analysis records of one BDS dataset (ANL01FL = Y, no derived DTYPE), with their month."""
        needed: dict[str, str | None] = {c: c for c in ("USUBJID", "PARAMCD", "AVISIT", "AVAL")}
        if not self.require_columns(src, needed, src.name.upper()):
            return None
        keep = []
        if src.has("ANL01FL"):
            keep.append(f"coalesce({_ref(src, 'ANL01FL')}, '') = 'Y'")
        if src.has("DTYPE"):
            keep.append(f"{_ref(src, 'DTYPE')} IS NULL")
        where = f"WHERE {' AND '.join(keep)}" if keep else ""
        avisit = _ref(src, "AVISIT")
        prefix = src.table  # the parameters of several datasets meet in one statement
        month = f"list_extract(${prefix}_months, list_position(${prefix}_visits, upper({avisit})))"
        sql = (
            f"SELECT {_ref(src, 'USUBJID')} AS subject, {_ref(src, 'PARAMCD')} AS paramcd, {avisit} AS avisit, "
            f"{month} AS month, {_ref(src, 'AVAL')} AS aval, {_ref(src, 'AVALC')} AS avalc, {_ref(src, 'ADT')} AS adt, "
            f"{_ref(src, 'ADY')} AS ady, _file, _line FROM {src.table} {where}"
        )
        return sql, {f"{prefix}_months": list(visit_map.values()), f"{prefix}_visits": list(visit_map)}

    def _bds_problems(self, codes: dict[str, str]) -> None:
        """Unscheduled records (dropped), conflicting duplicates, and items the contract needs but
        the data lack (a Villalta total alone cannot be imported)."""
        self.con.execute(
            "INSERT INTO issues SELECT 'warning', 'adam:unscheduled', _file, _line, subject, 'AVISIT', avisit, "
            "'visit not in the profile''s AVISIT map (unscheduled or unwindowed): record not imported' "
            "FROM bds WHERE month IS NULL"
        )
        self.con.execute(
            "INSERT INTO issues SELECT 'error', 'adam:duplicate', _file, _line, subject || ' / ' || avisit, "
            "'PARAMCD', paramcd, 'more than one analysis value for this subject, visit and parameter' FROM bds "
            "WHERE month IS NOT NULL QUALIFY count(DISTINCT coalesce(aval, avalc)) OVER "
            "(PARTITION BY subject, month, paramcd) > 1"
        )
        present = {r[0] for r in self.con.execute("SELECT DISTINCT paramcd FROM bds").fetchall()}
        items = {c: codes[c] for c in (*_villalta_items(), "ulcer_present") if c in codes}
        absent = [f"{code} ({column})" for column, code in items.items() if code not in present]
        if absent:
            only_total = codes.get("villalta_total") in present and len(absent) >= len(_villalta_items())
            message = (
                "the records hold a Villalta total but not the 11 items; the contract needs every item "
                "(a total alone cannot be split into items)"
                if only_total
                else f"parameter(s) {', '.join(absent)} not found; check [paramcd] in a copy of the profile "
                f"(PARAMCDs found: {', '.join(sorted(p for p in present if p)[:15])})"
            )
            self.issues.add(Issue.file_level(ERROR, "adam:items", "ADQS", message))

    def _events(self, adsl: Staged, adae: Staged | None) -> None:
        b = Bind()
        enrolled = self.adsl(adsl, "enrolled_on")
        parts = []
        if self.v["death_date"]:
            death = self.adsl(adsl, "death_date")
            parts.append(
                f"SELECT {self.adsl(adsl, 'patient_id')} AS patient_id, {day_between(enrolled, death)} AS event_day, "
                f"'death' AS event_type, 'true' AS serious, _file, _line FROM {adsl.table} WHERE {death} IS NOT NULL"
            )
        ae = {k: str(v) for k, v in self.profile.section("ae").items()}
        if adae is not None and self.require_columns(adae, {**ae, "id": "USUBJID"}, "ADAE"):
            term, start, serious = (
                _ref(adae, ae["term"]),
                _ref(adae, ae["start_date"]),
                _ref(adae, ae["serious"]),
            )
            subject = _ref(adae, "USUBJID")
            self.check_dates(adae, [ae["start_date"]])
            terms = _upper_keys(self.profile.values("event_type"))
            self.con.execute(
                f"INSERT INTO issues SELECT 'warning', 'adam:ae_term', _file, _line, {subject}, $term, {term}, "
                "'term not in the profile''s event map: not imported (the contract holds the listed clinical "
                f"events only)' FROM {adae.table} WHERE NOT list_contains($terms, upper({term}))",
                {"term": ae["term"], "terms": list(terms)},
            )
            flags = _upper_keys(self.profile.values("flag"))
            parts.append(
                f"SELECT {subject} AS patient_id, {day_between(enrolled, start)} AS event_day, "
                f"{self.mapped(f'upper({term})', 'event_type', b, terms)} AS event_type, "
                f"{self.mapped(f'upper({serious})', 'flag', b, flags)} AS serious, {adae.table}._file, "
                f"{adae.table}._line FROM {adae.table} JOIN {adsl.table} ON {self.adsl(adsl, 'patient_id')} = "
                f"{subject} WHERE list_contains({b(list(terms))}, upper({term}))"
            )
        if not parts:
            self.create_empty("events")
            return
        select = {c: c for c in ("patient_id", "event_day", "event_type", "serious", "_file", "_line")}
        self.create("events", select, f"FROM ({' UNION ALL '.join(parts)}) AS e", b)

    def _adtte(self, adtte: Staged) -> None:
        """ADTTE kept as given, in the CDISC names, with the app's endpoint each PARAMCD stands for
        ([adtte] of the profile), for a reconciliation with the app's own derivation."""
        names = ("USUBJID", "PARAMCD", "PARAM", "AVAL", "CNSR", "STARTDT", "ADT", "EVNTDESC", "CNSDTDSC")
        cols = ", ".join(f"{_ref(adtte, n)} AS {n.lower()}" for n in names)
        endpoints = {str(k): str(v) for k, v in self.profile.section("adtte").items()}
        self.con.execute(
            f"CREATE OR REPLACE TABLE extra_sponsor_adtte AS SELECT {cols}, list_extract($endpoints, "
            f"list_position($codes, {_ref(adtte, 'PARAMCD')})) AS endpoint FROM {adtte.table}",
            {"endpoints": list(endpoints.values()), "codes": list(endpoints)},
        )


def _villalta_items() -> tuple[str, ...]:
    from pts_explorer.vocab import VILLALTA_ITEMS

    return VILLALTA_ITEMS


def _upper_keys(mapping: dict[str, str]) -> dict[str, str]:
    return {k.upper(): v for k, v in mapping.items()}

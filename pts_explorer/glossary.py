"""The terms the pages use, each in one or two plain sentences with its source.

One source for the Glossary page and for the help tooltips on every label that uses a term, so a
tooltip never says something the Glossary does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from pts_explorer import vocab


@dataclass(frozen=True)
class Term:
    key: str
    name: str
    section: str
    text: str  # one or two plain sentences (Markdown)
    source: str  # Markdown, with a link where one exists
    detail: str = ""  # an optional table or list under the text (Markdown)


SECTIONS = ("Scores", "Lesions and anatomy", "Endpoints", "Study design", "Methods")

TERMS: tuple[Term, ...] = (
    Term(
        "villalta",
        "Villalta scale",
        "Scores",
        "The standard measure of post-thrombotic syndrome (PTS) severity: 5 symptoms the patient rates and 6 signs "
        "the clinician rates, each 0 (none) to 3 (severe), total 0-33. Higher is worse.",
        "Kahn SR et al. Definition of post-thrombotic syndrome of the leg for use in clinical investigations. "
        "*J Thromb Haemost* 2009;7:879-83 ([doi](https://doi.org/10.1111/j.1538-7836.2009.03294.x)).",
        "| Patient-rated symptoms | Clinician-rated signs |\n| --- | --- |\n"
        "| Pain | Pretibial edema |\n| Cramps | Skin induration |\n| Heaviness | Hyperpigmentation |\n"
        "| Paresthesia | Redness |\n| Pruritus | Venous ectasia |\n|  | Pain on calf compression |\n\n"
        "An open venous ulcer is recorded as present or absent.",
    ),
    Term(
        "pts_band",
        "PTS bands",
        "Scores",
        "Villalta total 0-4: no PTS; 5-9: mild; 10-14: moderate; 15 or more, or any open venous ulcer: severe. "
        "Here an ulcer moves the band to severe but never adds points to the total, so the total stays 0-33.",
        "Kahn SR et al. *J Thromb Haemost* 2009;7:879-83; the ulcer rule as in MDCalc's Villalta calculator.",
    ),
    Term(
        "vcss",
        "VCSS (revised Venous Clinical Severity Score)",
        "Scores",
        "A clinician score of chronic venous disease: 10 attributes (pain, varicose veins, edema, pigmentation, "
        "inflammation, induration, active ulcers: number, duration and size, and compression use), each 0-3, "
        "total 0-30. Higher is worse; note that wearing compression faithfully raises the score.",
        "Vasquez MA et al. Revision of the venous clinical severity score. *J Vasc Surg* 2010;52:1387-96 "
        "([doi](https://doi.org/10.1016/j.jvs.2010.06.161)).",
    ),
    Term(
        "veines",
        "VEINES-QOL and VEINES-Sym",
        "Scores",
        "A 26-item questionnaire on venous disease giving two scores: quality of life (QOL) and symptoms (Sym), as "
        "T-scores (mean 50, SD 10 within each study). Higher is better; because scores are relative to their own "
        "study, compare changes, not levels, across studies.",
        "Kahn SR et al. VEINES-QOL/Sym questionnaire. *J Clin Epidemiol* 2006;59:1049-56 "
        "([doi](https://doi.org/10.1016/j.jclinepi.2005.10.016)).",
    ),
    Term(
        "pain_vas",
        "Pain VAS",
        "Scores",
        "Leg pain on a 0-10 visual analogue scale; higher is worse.",
        "As used by Rossi FH et al. *J Vasc Surg Venous Lymphat Disord* 2018;6:183-91 "
        "([PubMed](https://pubmed.ncbi.nlm.nih.gov/29292114/)).",
    ),
    Term(
        "ceap",
        "CEAP clinical class",
        "Scores",
        "The clinical part (C) of the CEAP classification of chronic venous disease. The classes seen here: "
        "C3 edema; C4a pigmentation or eczema; C4b lipodermatosclerosis or atrophie blanche; C4c corona "
        "phlebectatica; C5 healed ulcer; C6 active ulcer.",
        "Lurie F et al. The 2020 update of the CEAP classification system. *J Vasc Surg Venous Lymphat Disord* "
        "2020;8:342-52 ([doi](https://doi.org/10.1016/j.jvsv.2019.12.075)).",
    ),
    Term(
        "responder",
        "Responder",
        "Scores",
        "A patient whose Villalta score improved by at least the chosen number of points, or who moved down at least "
        "one PTS band. No minimal clinically important difference has been validated for Villalta in PTS, so any "
        "threshold is an assumption; the Responders page shows how results move with it.",
        "No validated MCID found (see data/README.md); thresholds as suggested for exploration only.",
    ),
    Term(
        "obstruction_site",
        "Obstruction site",
        "Lesions and anatomy",
        "The most proximal (closest to the heart) obstructed vein segment, mapped by venography or intravascular "
        "ultrasound: inferior vena cava (IVC), common iliac, external iliac, common femoral or femoral vein. Benefit "
        "from a stent is expected to be largest in high-grade obstruction of the common iliac or common femoral vein.",
        "Segments as in the data contract (data/README.md); anatomy as in the diagram.",
    ),
    Term(
        "stenosis_grade",
        "Stenosis grade",
        "Lesions and anatomy",
        "How much the vein's diameter is narrowed: below 50%, 50-69%, 70-99%, or occlusion (fully blocked). Trials "
        "admit obstruction of 50% or more; this app calls 70% or more 'high grade', an assumption, as no standard "
        "definition exists.",
        "C-TRACT protocol synopsis "
        "([bloodclotstudy.wustl.edu](https://bloodclotstudy.wustl.edu/c-tract/c-tract-trial-protocol-synopsis/)).",
    ),
    Term(
        "primary_patency",
        "Primary patency",
        "Endpoints",
        "The stent stays open with nothing done to it: lost at the first stent thrombosis (occlusion), in-stent "
        "restenosis above 50%, or reintervention.",
        "Definition of the VERNACULAR and VIRTUS stent trials; Dake MD et al. *Cardiovasc Intervent Radiol* "
        "2021;44:1918-29 ([PMC](https://pmc.ncbi.nlm.nih.gov/articles/PMC8451739)).",
    ),
    Term(
        "assisted_primary_patency",
        "Assisted-primary patency",
        "Endpoints",
        "The stent never occluded, though a reintervention may have treated a narrowing before it did: lost at the "
        "first stent thrombosis.",
        "Neglén P et al. *J Vasc Surg* 2007;46:979-90 ([doi](https://doi.org/10.1016/j.jvs.2007.06.046)).",
    ),
    Term(
        "secondary_patency",
        "Secondary patency",
        "Endpoints",
        "The stent is open, also after an occlusion that was treated successfully: lost at a stent thrombosis after "
        "which patency was not restored.",
        "Neglén P et al. *J Vasc Surg* 2007;46:979-90 ([doi](https://doi.org/10.1016/j.jvs.2007.06.046)).",
    ),
    Term(
        "reintervention",
        "Reintervention",
        "Endpoints",
        "Any further procedure on the stented segment, counted from the index procedure; death before it is a "
        "competing event.",
        "As freedom from target-vessel revascularization in VERNACULAR; Dake MD et al. *Cardiovasc Intervent "
        "Radiol* 2021;44:1918-29 ([PMC](https://pmc.ncbi.nlm.nih.gov/articles/PMC8451739)).",
    ),
    Term(
        "ulcer_healing",
        "Ulcer healing",
        "Endpoints",
        "Time from enrollment to the healing of the venous ulcer, in patients with an open ulcer at baseline (both "
        "arms); death before healing is a competing event.",
        "Raju S et al. *J Vasc Surg Venous Lymphat Disord* 2013;1:165-72 "
        "([PubMed](https://pubmed.ncbi.nlm.nih.gov/26992338)).",
    ),
    Term(
        "recurrent_dvt",
        "Recurrent DVT",
        "Endpoints",
        "A new deep vein thrombosis after enrollment (both arms); death before it is a competing event.",
        "As reported by ATTRACT; Vedantham S et al. *N Engl J Med* 2017;377:2240-52.",
    ),
    Term(
        "randomized",
        "Randomized and observational",
        "Study design",
        "In a randomized trial chance decides the treatment, so the arms differ only by chance and a difference in "
        "outcome is the treatment's effect. In the observational registry clinicians chose, so arm differences may "
        "also reflect who was chosen (confounding).",
        "CONSORT and STROBE reporting guidelines ([equator-network.org](https://www.equator-network.org)).",
    ),
    Term(
        "smd",
        "Standardized mean difference (SMD)",
        "Study design",
        "The difference between arms in a baseline characteristic, in standard deviations; for categories, across "
        "all levels at once. Above 0.1 (flagged ▲) is a meaningful imbalance.",
        "Austin PC. *Stat Med* 2009;28:3083-107 ([doi](https://doi.org/10.1002/sim.3697)); Yang D, Dalton JE. "
        "SAS Global Forum 2012, paper 335.",
    ),
    Term(
        "target_trial",
        "Target trial emulation",
        "Study design",
        "Observational data analysed as the randomized trial one would have run (its eligibility, time zero, "
        "treatment strategies, outcome, follow-up and causal contrast written out), so the comparison avoids the "
        "biases a trial's design rules out; confounding remains unless adjusted for, and what was not measured "
        "cannot be.",
        "Hernán MA, Robins JM. *Am J Epidemiol* 2016;183:758-64 ([doi](https://doi.org/10.1093/aje/kwv254)).",
    ),
    Term(
        "propensity_score",
        "Propensity score",
        "Study design",
        "A registry patient's probability of receiving a stent given the baseline covariates chosen, from a "
        "logistic regression. Patients with the same score have, on average, the same measured covariates in both "
        "arms, so weighting or matching on it balances them; unmeasured covariates stay unbalanced.",
        "Rosenbaum PR, Rubin DB. *Biometrika* 1983;70:41-55 ([doi](https://doi.org/10.1093/biomet/70.1.41)); "
        "Austin PC. *Multivariate Behav Res* 2011;46:399-424.",
    ),
    Term(
        "overlap_weights",
        "Overlap weights (ATO)",
        "Methods",
        "Each stent patient weighs one minus the score, each medical patient the score: the patients who could "
        "have had either treatment count most. They balance every covariate's mean exactly and estimate the "
        "effect in that overlap population (ATO), not in the whole registry.",
        "Li F, Morgan KL, Zaslavsky AM. *J Am Stat Assoc* 2018;113:390-400 "
        "([doi](https://doi.org/10.1080/01621459.2016.1260466)).",
    ),
    Term(
        "iptw",
        "Stabilized inverse probability weights (IPTW, ATE)",
        "Methods",
        "Each patient weighs the share of their arm divided by the probability of the treatment received, so the "
        "weighted arms each resemble the whole registry (average treatment effect, ATE). Patients with a score "
        "near 0 or 1 get extreme weights, so scores outside the chosen bounds are trimmed (left out).",
        "Austin PC, Stuart EA. *Stat Med* 2015;34:3661-79 ([doi](https://doi.org/10.1002/sim.6607)); "
        "Crump RK et al. *Biometrika* 2009;96:187-99.",
    ),
    Term(
        "propensity_matching",
        "1:1 propensity-score matching (ATM)",
        "Methods",
        "Each stent patient, from the highest score down, is paired with the unmatched medical patient of the "
        "nearest score, if within the caliper (standard deviations of the score); unmatched patients are left out. "
        "It estimates the effect among the stented patients who have a match (ATM, the ATT of the matched), not "
        "the ATT of all stented patients when some have none.",
        "Austin PC. *Pharm Stat* 2011;10:150-61 ([doi](https://doi.org/10.1002/pst.433)); as R's MatchIt "
        "(Ho DE et al. *J Stat Softw* 2011;42(8)) through its distance-matrix path: MatchIt 4.5.1 to 4.5.3 ignore "
        'the caliper of the standard `matchit(..., distance = "glm", caliper, std.caliper = TRUE)` call '
        "(kosukeimai/MatchIt#163).",
    ),
    Term(
        "ess",
        "Effective sample size (ESS)",
        "Methods",
        "How many unweighted patients a weighted arm is worth, (sum of weights)² / sum of squared weights (Kish): "
        "far below the arm's patients when a few carry large weights, which makes the estimate imprecise.",
        "Kish L. *Survey Sampling*, 1965; Li F et al. *J Am Stat Assoc* 2018;113:390-400.",
    ),
    Term(
        "evalue",
        "E-value",
        "Methods",
        "The minimum strength of association (as a risk ratio) an unmeasured confounder would need with both the "
        "treatment and the outcome to explain an observational estimate away; for its CI, to make the CI include "
        "no effect (1 when it already does). Large E-values mean only strong unmeasured confounding could explain "
        "the result.",
        "VanderWeele TJ, Ding P. *Ann Intern Med* 2017;167:268-74 ([doi](https://doi.org/10.7326/M16-2607)).",
    ),
    Term(
        "t_interval",
        "Mean with t-based 95% CI",
        "Methods",
        "The average and the range that covers the true mean in 95 of 100 repeated samples, from the t-distribution; "
        "it needs at least 2 patients.",
        "Any statistics text; e.g. Altman DG. *Practical Statistics for Medical Research*, 1991.",
    ),
    Term(
        "welch",
        "Welch 95% CI",
        "Methods",
        "The confidence interval for a difference between two means that does not assume the two groups vary "
        "equally, with Satterthwaite's degrees of freedom.",
        "Welch BL. *Biometrika* 1947;34:28-35 ([doi](https://doi.org/10.1093/biomet/34.1-2.28)).",
    ),
    Term(
        "ancova",
        "ANCOVA",
        "Methods",
        "A regression of the change from baseline on the arm, adjusted for the baseline value (and the study when "
        "studies are pooled, and any covariates chosen); the usual analysis of a randomized trial's continuous "
        "outcome at one visit. It is a complete-case analysis: only patients with the outcome at baseline and at "
        "that visit are in it; those who missed the visit, died or left are left out, not imputed.",
        "Vickers AJ, Altman DG. *BMJ* 2001;323:1123-4 ([doi](https://doi.org/10.1136/bmj.323.7321.1123)).",
    ),
    Term(
        "mmrm",
        "MMRM",
        "Methods",
        "A mixed model for repeated measures: every follow-up visit in one model, with an unstructured covariance "
        "between visits, estimated by REML with Satterthwaite degrees of freedom (ML with Wald z intervals on "
        "request). It uses all observed visits and is valid when data are missing at random.",
        "Mallinckrodt CH et al. *Drug Inf J* 2008;42:303-19 ([doi](https://doi.org/10.1177/009286150804200402)); "
        "checked against R's nlme::gls (unstructured covariance) with emmeans contrasts: estimates and standard "
        "errors equal to 5 decimals; the degrees of freedom are exact Satterthwaite, as R's mmrm package computes "
        "them, within 3.5% of emmeans' approximation. ML standard errors carry nlme's N/(N − p) variance factor "
        "(N observations, p fixed effects).",
    ),
    Term(
        "interaction",
        "Interaction test",
        "Methods",
        "Asks whether the treatment effect differs between subgroups (an F-test comparing ANCOVA models with and "
        "without a treatment-by-subgroup term). Effects within single subgroups are exploratory.",
        "Wang R et al. Statistics in medicine: reporting of subgroup analyses. *N Engl J Med* 2007;357:2189-94.",
    ),
    Term(
        "wilson",
        "Wilson, Newcombe and Katz intervals",
        "Methods",
        "Wilson score: the 95% CI of a proportion. Newcombe (hybrid score): the 95% CI of a difference of two "
        "proportions, built from the two Wilson intervals. Katz: the 95% CI of a risk ratio, on the log scale.",
        "Newcombe RG. *Stat Med* 1998;17:873-90 ([doi](https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8"
        "%3C873::AID-SIM779%3E3.0.CO;2-I)); Katz D et al. *Biometrics* 1978;34:469-74.",
    ),
    Term(
        "nri",
        "Non-responder imputation",
        "Methods",
        "A patient due at a visit but not seen there, also one who died or left the study, counts as not having "
        "responded, the conservative default of responder analyses. It estimates a composite: the share of patients "
        "alive, still followed, seen and improved. Leaving such patients out (complete cases) is the sensitivity "
        "analysis.",
        "EMA Guideline on missing data in confirmatory clinical trials, EMA/CPMP/EWP/1776/99 Rev. 1, 2010.",
    ),
    Term(
        "kaplan_meier",
        "Kaplan-Meier",
        "Methods",
        "The share of patients still free of an event over time, allowing for patients followed for different "
        "lengths of time (censoring); 95% CIs on the log-log scale. The log-rank test compares whole curves.",
        "Kaplan EL, Meier P. *J Am Stat Assoc* 1958;53:457-81; Kalbfleisch JD, Prentice RL, 2002.",
    ),
    Term(
        "aalen_johansen",
        "Cumulative incidence (Aalen-Johansen)",
        "Methods",
        "The share of patients who had the event by each time when another event (here death) can prevent it; "
        "one minus Kaplan-Meier would overstate it. Gray's test compares the curves between groups.",
        "Aalen OO, Johansen S. *Scand J Stat* 1978;5:141-50; Gray RJ. *Ann Stat* 1988;16:1141-54.",
    ),
    Term(
        "cox",
        "Cox proportional hazards",
        "Methods",
        "The hazard ratio: how much more (above 1) or less (below 1) often the event happens in one group than in "
        "the reference at any time, optionally adjusted for covariates. It assumes that ratio is constant over "
        "time, which the Schoenfeld-residual test (cox.zph) checks.",
        "Cox DR. *J R Stat Soc B* 1972;34:187-220; Grambsch PM, Therneau TM. *Biometrika* 1994;81:515-26.",
    ),
    Term(
        "clopper_pearson",
        "Clopper-Pearson and exact Poisson intervals",
        "Methods",
        "Clopper-Pearson: the exact 95% CI of the share of patients with a complication, reliable also when events "
        "are rare. Exact (Garwood) Poisson: the 95% CI of events per 100 patient-years.",
        "Clopper CJ, Pearson ES. *Biometrika* 1934;26:404-13; Garwood F. *Biometrika* 1936;28:437-42.",
    ),
)

BY_KEY = {t.key: t for t in TERMS}

# Table headers that name a method: the term behind each, for the header's tooltip.
COLUMN_TERMS = {
    "SMD": "smd",
    "Welch 95% CI": "welch",
    "95% CI (Newcombe)": "wilson",
    "95% CI (Katz)": "wilson",
    "Hazard ratio": "cox",
    "PH check p": "cox",
    "Interaction p (F-test)": "interaction",
}


def tip(*keys: str) -> str:
    """A tooltip: the terms' plain sentences, and where to read more."""
    parts = [f"**{BY_KEY[k].name}**: {BY_KEY[k].text}" for k in keys]
    return "\n\n".join([*parts, "More in the Glossary (menu, Reference)."])


def outcome_tip() -> str:
    """A tooltip for an outcome chooser: each outcome's scale and direction."""
    lines = [
        f"- **{o.label}**: {o.unit}; {'higher' if o.higher_is_better else 'lower'} is better"
        for o in vocab.OUTCOMES.values()
    ]
    return "\n".join([*lines, "", "Villalta, VCSS and VEINES are explained in the Glossary (menu, Reference)."])


def endpoint_tip() -> str:
    """A tooltip for the durability endpoint chooser: each endpoint's definition."""
    keys = {
        "primary_patency": "primary_patency",
        "assisted_primary_patency": "assisted_primary_patency",
        "secondary_patency": "secondary_patency",
        "freedom_from_reintervention": "reintervention",
        "ulcer_healing": "ulcer_healing",
        "freedom_from_recurrent_dvt": "recurrent_dvt",
    }
    lines = [f"- **{BY_KEY[k].name}**: {BY_KEY[k].text}" for k in keys.values()]
    return "\n".join([*lines, "", "Sources in the Glossary (menu, Reference)."])


def by_section(search: str = "") -> dict[str, list[Term]]:
    """The terms per section, in order, keeping those whose name or text contains `search`."""
    needle = search.strip().lower()
    chosen = [t for t in TERMS if not needle or needle in f"{t.name} {t.text} {t.detail}".lower()]
    return {s: [t for t in chosen if t.section == s] for s in SECTIONS if any(t.section == s for t in chosen)}

# The Candidate page's model in R: lm + predict on the randomized patients of the demo cohort
# (candidate_model_trial.csv) for each profile of candidate_model_profiles.csv at months 6 and 12.
# Written independently of the app: the lesion group is coded from the site and stenosis here, the
# adjustment set is every field the profile gives (all are supported by these data), the contrast
# is the arm coefficient with the profile's lesion group as the reference level.
# Packages: R 4.2.2, stats 4.2.2 (base R: lm, predict, confint; tests/reference/R-versions.txt).
# Run from the repository root: Rscript tests/reference/candidate_model.R
# Input: tests/reference/candidate_model_trial.csv, tests/reference/candidate_model_profiles.csv
# Output: tests/reference/candidate_model_reference.csv
dir <- "tests/reference"
trial <- read.csv(file.path(dir, "candidate_model_trial.csv"), stringsAsFactors = FALSE)
profiles <- read.csv(file.path(dir, "candidate_model_profiles.csv"), stringsAsFactors = FALSE,
                     na.strings = "", colClasses = "character")

lesion_group <- function(site, stenosis, grade) {
  high <- if (!is.na(stenosis)) as.numeric(stenosis) >= 70 else grade %in% c("70-99%", "occlusion")
  if (!high) return("below_70")
  if (site %in% c("common_iliac", "common_femoral")) "high_grade_civ_cfv" else "high_grade_other"
}

# profile field -> model column and the value the profile gives, in the app's order
covariates <- list(
  c_ulcer = list(column = "ulcer", code = function(v) as.numeric(v == "yes")),
  c_vcss = list(column = "vcss", code = as.numeric),
  c_age = list(column = "age_years", code = as.numeric),
  c_sex = list(column = "female", code = function(v) as.numeric(v == "female")),
  c_months = list(column = "months_since_dvt", code = as.numeric),
  c_length = list(column = "lesion_length_mm", code = as.numeric),
  c_side = list(column = "left_limb", code = function(v) as.numeric(v == "left"))
)

rows <- list()
for (i in seq_len(nrow(profiles))) {
  p <- profiles[i, ]
  group <- lesion_group(p$c_site, p$c_stenosis, p$c_grade)
  given <- Filter(function(name) !is.na(p[[name]]), names(covariates))
  columns <- vapply(given, function(name) covariates[[name]]$column, "")
  for (month in c(6, 12)) {
    d <- trial[trial$visit_month == month, ]
    d <- d[complete.cases(d[, c("baseline", "change", columns)]), ]
    d$arm <- factor(d$arm, levels = c("medical", "stent"))
    d$lesion_group <- relevel(factor(d$lesion_group), ref = group)
    terms <- paste(c("arm * lesion_group", "baseline", columns), collapse = " + ")
    fit <- lm(as.formula(paste("change ~", terms)), data = d)
    baseline <- if (is.na(p$c_villalta)) mean(d$baseline) else as.numeric(p$c_villalta)
    new <- data.frame(arm = factor(c("stent", "medical"), levels = c("medical", "stent")),
                      lesion_group = factor(group, levels = levels(d$lesion_group)),
                      baseline = baseline)
    for (name in given) new[[covariates[[name]]$column]] <- covariates[[name]]$code(p[[name]])
    conf <- predict(fit, new, interval = "confidence", level = 0.95)
    pred <- predict(fit, new, interval = "prediction", level = 0.95)
    ci <- confint(fit, "armstent", level = 0.95)
    rows[[length(rows) + 1]] <- data.frame(
      profile = p$profile, visit_month = month, lesion_group = group,
      covariates = paste(columns, collapse = " "), baseline = baseline,
      n = nobs(fit), df_resid = fit$df.residual,
      diff = unname(coef(fit)["armstent"]),
      se = unname(sqrt(diag(vcov(fit)))["armstent"]),
      ci_low = ci[1, 1], ci_high = ci[1, 2],
      stent = conf[1, "fit"], stent_ci_low = conf[1, "lwr"], stent_ci_high = conf[1, "upr"],
      stent_pi_low = pred[1, "lwr"], stent_pi_high = pred[1, "upr"],
      medical = conf[2, "fit"], medical_ci_low = conf[2, "lwr"], medical_ci_high = conf[2, "upr"],
      medical_pi_low = pred[2, "lwr"], medical_pi_high = pred[2, "upr"]
    )
  }
}
out <- do.call(rbind, rows)
write.csv(out, file.path(dir, "candidate_model_reference.csv"), row.names = FALSE)

# Reference values for pts_explorer/analytics/heterogeneity.py ("who benefits"): the stent's effect
# compared between cohorts and along a continuous modifier, on the demo data's patients with a
# Villalta score at baseline and month 6 (heterogeneity_input.csv; README.md says what it holds).
# Written independently of the app: cohorts are the column `lesion`, models are R's own formulas.
# Packages: R 4.2.2, stats 4.2.2, splines 4.2.2, emmeans 1.8.4-1, survival 3.5-3
# Run from the repository root: Rscript tests/reference/heterogeneity.R
# Input: tests/reference/heterogeneity_input.csv
# Output: tests/reference/heterogeneity_reference.csv
#
# Rows (analysis, data, term):
#   ancova_cohort      per cohort: lm(change ~ arm + baseline [+ study_id]) in that cohort alone; the arm term
#   ancova_difference  one lm(change ~ arm * lesion + baseline * lesion [+ study_id * lesion]): the
#                      cohorts' ANCOVAs in one model; each arm:lesion term (the difference in effect
#                      against the first cohort) with confint and its t-test p
#   ancova_interaction anova(lm without the arm:lesion terms, the model above): F-test p, numerator df
#   curve              lm(change ~ arm * ns(x, knots = tertiles, Boundary.knots = range) + baseline
#                      [+ study_id]; no separate baseline term when x is the baseline);
#                      emmeans contrasts stent - medical at 50 points from min to max of x; t-based CI
#   curve_interaction  anova(lm without the arm:ns terms, the model above): F-test p, numerator df
#   (Cox rows on the pooled data only: the trial alone has cohorts without a recurrent DVT in an arm)
#   cox_cohort         per cohort: coxph(Surv(duration_days, observed) ~ arm [+ strata(study_id)]), Efron ties;
#                      exp(coef), exp(confint), Wald p
#   cox_difference     one coxph(... ~ arm * lesion [+ strata(study_id)]): each arm:lesion term as a ratio of
#                      hazard ratios, exp(confint), Wald p
#   cox_interaction    joint Wald chi-square of the arm:lesion terms (b' V^-1 b): p, df
suppressPackageStartupMessages({
  library(splines)
  library(emmeans)
  library(survival)
})

here <- "tests/reference"
d <- read.csv(file.path(here, "heterogeneity_input.csv"), stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("medical", "stent"))
levels_all <- c("common iliac, high grade", "femoral, high grade", "other")
d$study_id <- factor(d$study_id)

out <- list()
add <- function(analysis, data, term, estimate, ci_low, ci_high, p, df) {
  out[[length(out) + 1]] <<- data.frame(
    analysis = analysis, data = data, term = term, estimate = estimate, ci_low = ci_low,
    ci_high = ci_high, p_value = p, df = df, stringsAsFactors = FALSE
  )
}

between <- function(rows, name, levels, cox = FALSE) {
  rows <- rows[rows$lesion %in% levels, ]
  rows$lesion <- factor(rows$lesion, levels = levels)
  pooled <- length(unique(rows$study_id)) > 1
  study <- if (pooled) " + study_id" else ""
  for (level in levels) {
    sub <- droplevels(rows[rows$lesion == level, ])
    f <- lm(as.formula(paste0("change ~ arm + baseline", study)), data = sub)
    ci <- confint(f)["armstent", ]
    add("ancova_cohort", name, level, coef(f)[["armstent"]], ci[[1]], ci[[2]],
        summary(f)$coefficients["armstent", "Pr(>|t|)"], df.residual(f))
  }
  # The groups' ANCOVAs in one model: baseline (and study, where pooled) within each group.
  within <- paste0(" + baseline * lesion", if (pooled) " + study_id * lesion" else "")
  full <- lm(as.formula(paste0("change ~ arm * lesion", within)), data = rows)
  reduced <- lm(as.formula(paste0("change ~ arm + lesion", within)), data = rows)
  table <- summary(full)$coefficients
  for (level in levels[-1]) {
    term <- paste0("armstent:lesion", level)
    ci <- confint(full)[term, ]
    add("ancova_difference", name, level, coef(full)[[term]], ci[[1]], ci[[2]], table[term, "Pr(>|t|)"],
        df.residual(full))
  }
  a <- anova(reduced, full)
  add("ancova_interaction", name, "", NA, NA, NA, a[2, "Pr(>F)"], a[2, "Df"])

  if (cox) {
    for (level in levels) {
      sub <- droplevels(rows[rows$lesion == level, ])
      st <- if (length(unique(sub$study_id)) > 1) " + strata(study_id)" else ""
      f <- coxph(as.formula(paste0("Surv(duration_days, observed) ~ arm", st)), data = sub, ties = "efron")
      s <- summary(f)
      add("cox_cohort", name, level, s$conf.int["armstent", "exp(coef)"], s$conf.int["armstent", "lower .95"],
          s$conf.int["armstent", "upper .95"], s$coefficients["armstent", "Pr(>|z|)"], NA)
    }
    strata <- if (pooled) " + strata(study_id)" else ""
    f <- coxph(as.formula(paste0("Surv(duration_days, observed) ~ arm * lesion", strata)), data = rows,
               ties = "efron")
    s <- summary(f)
    terms <- paste0("armstent:lesion", levels[-1])
    for (i in seq_along(terms)) {
      add("cox_difference", name, levels[-1][i], s$conf.int[terms[i], "exp(coef)"],
          s$conf.int[terms[i], "lower .95"], s$conf.int[terms[i], "upper .95"],
          s$coefficients[terms[i], "Pr(>|z|)"], NA)
    }
    b <- coef(f)[terms]
    v <- vcov(f)[terms, terms, drop = FALSE]
    chisq <- as.numeric(t(b) %*% solve(v) %*% b)
    add("cox_interaction", name, "", chisq, NA, NA, pchisq(chisq, length(terms), lower.tail = FALSE), length(terms))
  }
}

curve <- function(rows, name, modifier) {
  x <- rows[[modifier]]
  knots <- unname(quantile(x, c(1, 2) / 3))
  boundary <- range(x)
  rows$m <- x
  extra <- paste0(if (modifier == "baseline") "" else " + baseline",
                  if (length(unique(rows$study_id)) > 1) " + study_id" else "")
  full <- lm(as.formula(paste0("change ~ arm * ns(m, knots = knots, Boundary.knots = boundary)", extra)),
             data = rows)
  reduced <- lm(as.formula(paste0("change ~ arm + ns(m, knots = knots, Boundary.knots = boundary)", extra)),
                data = rows)
  grid <- seq(boundary[1], boundary[2], length.out = 50)
  em <- emmeans(full, ~ arm | m, at = list(m = grid), data = rows, params = c("knots", "boundary"))
  ct <- as.data.frame(confint(contrast(em, method = list("stent - medical" = c(-1, 1)))))
  tests <- as.data.frame(test(contrast(em, method = list("stent - medical" = c(-1, 1)))))
  for (i in seq_along(grid)) {
    add("curve", name, sprintf("%.17g", grid[i]), ct$estimate[i], ct$lower.CL[i], ct$upper.CL[i],
        tests$p.value[i], ct$df[i])
  }
  a <- anova(reduced, full)
  add("curve_interaction", name, paste(sprintf("%.17g", c(knots, boundary)), collapse = " "), NA, NA, NA,
      a[2, "Pr(>F)"], a[2, "Df"])
}

trial <- d[d$study_id == "TRIAL", ]
between(trial, "trial, three cohorts", levels_all)
between(trial, "trial, iliac vs femoral", levels_all[1:2])
between(d, "pooled, three cohorts", levels_all, cox = TRUE)
curve(trial, "trial, stenosis_pct", "stenosis_pct")
curve(trial, "trial, baseline", "baseline")
curve(d, "pooled, age_years", "age_years")

result <- do.call(rbind, out)
write.csv(result, file.path(here, "heterogeneity_reference.csv"), row.names = FALSE, na = "")

# The MMRM in R, the reference for tests/unit/test_mmrm.py (pts_explorer/analytics/mmrm.py): nlme gls
# with an unstructured covariance (corSymm + varIdent by visit), REML and ML, and emmeans contrasts
# of the arms at each visit with emmeans' "appx-satterthwaite" df and with "asymptotic" (Wald z).
# The app's df are exact Satterthwaite (as R's mmrm package computes them); emmeans' approximate
# ones differ by up to 3.5% here, which is the tolerance of the test (see its docstring).
# Packages: R 4.2.2, nlme 3.1-162, emmeans 1.8.4-1 (tests/reference/R-versions.txt).
# Run from the repository root: Rscript tests/reference/mmrm_trial_villalta.R
# Input: tests/reference/mmrm_trial_villalta.csv (trial patients of the default demo cohort)
# Output: tests/reference/mmrm_trial_villalta_reference.csv (contrast medical - stent per visit)
library(nlme)
library(emmeans)
dir <- "tests/reference"
d <- read.csv(file.path(dir, "mmrm_trial_villalta.csv"), stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("medical", "stent"))
d$visit <- factor(d$visit_month, levels = sort(unique(d$visit_month)))
d$vi <- as.integer(d$visit)  # the visit index: corSymm needs consecutive integers
d <- d[order(d$patient_id, d$vi), ]

# emmeans' appx-satterthwaite df for gls are random (it refits on responses perturbed by rnorm):
# the seed makes a rerun write the same file. The committed file's df were drawn without a recorded
# seed; a rerun gives df within 1% of them and identical estimates, SEs and asymptotic rows.
set.seed(20261124)
rows <- list()
for (method in c("REML", "ML")) {
  g <- gls(change ~ arm * visit + baseline * visit, data = d, method = method,
           correlation = corSymm(form = ~ vi | patient_id),
           weights = varIdent(form = ~ 1 | visit))
  for (df_mode in c("appx-satterthwaite", "asymptotic")) {
    emm <- emmeans(g, pairwise ~ arm | visit, mode = df_mode)
    s <- as.data.frame(summary(emm$contrasts, infer = c(TRUE, TRUE), level = 0.95))
    rows[[length(rows) + 1]] <- data.frame(
      method = method, df_mode = df_mode, visit_month = as.character(s$visit),
      contrast = as.character(s$contrast), estimate = s$estimate, se = s$SE, df = s$df,
      ci_low = if ("lower.CL" %in% names(s)) s$lower.CL else s$asymp.LCL,
      ci_high = if ("upper.CL" %in% names(s)) s$upper.CL else s$asymp.UCL,
      p = s$p.value
    )
  }
}
out <- do.call(rbind, rows)
write.csv(out, file.path(dir, "mmrm_trial_villalta_reference.csv"), row.names = FALSE)

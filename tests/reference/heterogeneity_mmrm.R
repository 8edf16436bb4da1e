# Reference values for the MMRM part of "who benefits" (pts_explorer/analytics/heterogeneity.py, mmrm_between):
# the MMRM fitted in each group alone, and the difference in effect between two groups (which share no patient)
# from their independent estimates, on the trial patients of the demo data split by stenosis % cut at 70 and
# 90 (the page's cut points), each range cut here with R's own `cut`, independently of the app.
# Packages: R 4.2.2, nlme 3.1-162, emmeans 1.8.4-1 (tests/reference/R-versions.txt).
# Run from the repository root: Rscript tests/reference/heterogeneity_mmrm.R
# Input: tests/reference/heterogeneity_mmrm_input.csv
# Output: tests/reference/heterogeneity_mmrm_reference.csv
#
# Rows (analysis, method, df_mode, group, visit_month):
#   mmrm_group       per group: gls(change ~ arm * visit + baseline * visit, correlation = corSymm(form = ~ vi |
#                    patient_id), weights = varIdent(form = ~ 1 | visit), method = "REML" or "ML") on that group
#                    alone (unstructured covariance, as tests/reference/mmrm_trial_villalta.R), and
#                    emmeans(g, revpairwise ~ arm | visit, mode = "appx-satterthwaite" or "asymptotic"):
#                    the contrast stent - medical at each visit, its SE, df, 95% CI and p
#   mmrm_difference  each group's contrast minus that of "< 70" (the group compared with) at the same visit:
#                    SE sqrt(se1^2 + se2^2), Welch-Satterthwaite df (se1^2 + se2^2)^2 / (se1^4 / df1 +
#                    se2^4 / df2) (infinite when both are Wald z), t-based 95% CI and two-sided p
library(nlme)
library(emmeans)
dir <- "tests/reference"
d <- read.csv(file.path(dir, "heterogeneity_mmrm_input.csv"), stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("medical", "stent"))
d$group <- as.character(cut(d$stenosis_pct, c(-Inf, 70, 90, Inf), right = FALSE,
                            labels = c("< 70", "70 to < 90", "90+")))
d$visit <- factor(d$visit_month, levels = sort(unique(d$visit_month)))
d$vi <- as.integer(d$visit)  # the visit index: corSymm needs consecutive integers
d <- d[order(d$patient_id, d$vi), ]

# emmeans' appx-satterthwaite df for gls are random (it refits on responses perturbed by rnorm): the seed
# makes a rerun write the same file.
set.seed(20261206)
rows <- list()
for (method in c("REML", "ML")) {
  for (group in c("< 70", "70 to < 90", "90+")) {
    part <- d[d$group == group, ]
    g <- gls(change ~ arm * visit + baseline * visit, data = part, method = method,
             correlation = corSymm(form = ~ vi | patient_id),
             weights = varIdent(form = ~ 1 | visit))
    for (df_mode in c("appx-satterthwaite", "asymptotic")) {
      emm <- emmeans(g, revpairwise ~ arm | visit, mode = df_mode)
      s <- as.data.frame(summary(emm$contrasts, infer = c(TRUE, TRUE), level = 0.95))
      rows[[length(rows) + 1]] <- data.frame(
        analysis = "mmrm_group", method = method, df_mode = df_mode, group = group,
        visit_month = as.integer(as.character(s$visit)), estimate = s$estimate, se = s$SE, df = s$df,
        ci_low = if ("lower.CL" %in% names(s)) s$lower.CL else s$asymp.LCL,
        ci_high = if ("upper.CL" %in% names(s)) s$upper.CL else s$asymp.UCL,
        p = s$p.value
      )
    }
  }
}
groups <- do.call(rbind, rows)

differences <- list()
for (method in c("REML", "ML")) {
  for (df_mode in c("appx-satterthwaite", "asymptotic")) {
    same <- groups[groups$method == method & groups$df_mode == df_mode, ]
    reference <- same[same$group == "< 70", ]
    for (group in c("70 to < 90", "90+")) {
      one <- same[same$group == group, ]
      at <- match(one$visit_month, reference$visit_month)
      v1 <- one$se^2
      v2 <- reference$se[at]^2
      estimate <- one$estimate - reference$estimate[at]
      se <- sqrt(v1 + v2)
      df <- (v1 + v2)^2 / (v1^2 / one$df + v2^2 / reference$df[at])
      half <- qt(0.975, df) * se
      differences[[length(differences) + 1]] <- data.frame(
        analysis = "mmrm_difference", method = method, df_mode = df_mode, group = group,
        visit_month = one$visit_month, estimate = estimate, se = se, df = df,
        ci_low = estimate - half, ci_high = estimate + half, p = 2 * pt(-abs(estimate / se), df)
      )
    }
  }
}
out <- rbind(groups, do.call(rbind, differences))
write.csv(out, file.path(dir, "heterogeneity_mmrm_reference.csv"), row.names = FALSE)

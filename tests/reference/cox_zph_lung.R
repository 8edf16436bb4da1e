# R's proportional-hazards test (cox.zph) on the lung data, the reference for
# tests/unit/test_ph_test.py (pts_explorer/analytics/ph_test.py).
# Packages: R 4.2.2, survival 3.5-3 (tests/reference/R-versions.txt). survival >= 3.0 computes an
# exact score test in cox.zph, not the older approximation, so its p-values differ from older R.
# Run from the repository root: Rscript tests/reference/cox_zph_lung.R
# Input: tests/reference/lung.csv (survival::lung, written by tests/reference/lung.R)
# Output: tests/reference/cox_zph_lung.csv
library(survival)
dir <- "tests/reference"
lung <- read.csv(file.path(dir, "lung.csv"))
fit <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = "efron")
rows <- list()
for (transform in c("km", "rank", "identity")) {
  table <- cox.zph(fit, transform = transform)$table
  rows[[transform]] <- data.frame(transform = transform, term = rownames(table),
                                  chisq = table[, "chisq"], df = table[, "df"], p = table[, "p"])
}
out <- do.call(rbind, rows)
write.csv(out, file.path(dir, "cox_zph_lung.csv"), row.names = FALSE)

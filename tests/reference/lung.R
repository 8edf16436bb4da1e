# The lung data set shipped with R's survival package (NCCTG lung cancer), the input of
# cox_zph_lung.R and tests/unit/test_ph_test.py.
# Packages: R 4.2.2, survival 3.5-3 (tests/reference/R-versions.txt).
# Run from the repository root: Rscript tests/reference/lung.R
# Output: tests/reference/lung.csv
library(survival)
write.csv(survival::lung, file.path("tests/reference", "lung.csv"), row.names = FALSE)

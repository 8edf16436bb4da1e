# Reference values for pts_explorer/analytics/propensity.py: registry (observational) patients of the
# demo adjusted for confounding by a propensity score, and the randomized trial's estimate beside them
# (propensity_input.csv; README.md says what it holds). Written independently of the app: the score
# is glm's, the matching MatchIt's, the weighted regression survey's, the weighted Cox survival's; the
# SMDs, effective sample sizes and E-values are their published formulas written out here.
# Packages: R 4.2.2, stats 4.2.2, MatchIt 4.5.1, survey 4.1-1, survival 3.5-3, MASS 7.3-58.2
# Run from the repository root: Rscript tests/reference/propensity.R
# Input: tests/reference/propensity_input.csv, tests/reference/propensity_sets_input.csv
# Output: tests/reference/propensity_patients_reference.csv, tests/reference/propensity_reference.csv, tests/reference/propensity_sets_patients_reference.csv, tests/reference/propensity_sets_reference.csv
#
# Score: glm(stent ~ site + grade + lesion length + baseline Villalta + baseline VCSS + ulcer + age + sex
# + months since DVT + centre, binomial) on the REGISTRY patients (all have every covariate).
# propensity_patients_reference.csv, per registry patient: ps; w_overlap (1 - ps stent, ps medical);
# w_iptw (stabilized, ps outside [0.05, 0.95] trimmed to weight 0, P(stent) among those kept); matched
# (1/0) and partner (the patient matched to it) from MatchIt's nearest-neighbour matching as
# matchit(method = "nearest", distance = "glm", caliper = 0.2, std.caliper = TRUE) specifies it (ATT,
# 1:1, no replacement, m.order "largest"; see below for why it is run through a distance matrix).
# propensity_reference.csv (method, quantity, term, value), per method overlap / iptw / matching and
# "unadjusted" (weight 1): smd_before / smd_after per covariate (Yang & Dalton: weighted means and
# svyvar-type variances n/(n-1); categorical: Mahalanobis form over the levels without the first);
# ess per arm (Kish); mean_change per arm; svyglm(change ~ arm, svydesign(ids = ~1, weights = ~w))
# on the patients with a month-6 change and w > 0: estimate, se, ci_low, ci_high (confint: t on the
# residual df), p, df; responders (change <= -4): svyglm gaussian (share difference) and
# quasipoisson (share ratio: exp(coef), exp(confint), p); coxph(Surv(duration_days, observed) ~ arm,
# weights = w, robust = TRUE) for ulcer healing (Efron): log_hr, robust_se, naive_se, hr, ci_low,
# ci_high (Wald z), event_share, and "cox_untied": log_hr and robust_se with tied times broken
# (below); survfit(weights = w) per arm at 365, 730 and 1826 days; E-values (VanderWeele & Ding):
# change (d = estimate / pooled SD of change, RR = exp(0.91 d)), responder ratio and hazard ratio
# (common-outcome transform when 15% or more had the event). "trial": the same svyglm with weight 1
# on the TRIAL patients, and the benchmark difference (iptw, overlap, matching minus trial; SE the
# root of the summed squares; normal CI).
suppressPackageStartupMessages({
  library(MatchIt)
  library(survey)
  library(survival)
})

dir <- "tests/reference"
d <- read.csv(file.path(dir, "propensity_input.csv"), stringsAsFactors = FALSE)
reg <- d[d$design == "observational", ]
trial <- d[d$design == "randomized", ]
reg$stent <- as.integer(reg$arm == "stent")
covs <- c("obstruction_site", "stenosis_grade", "lesion_length_mm", "baseline_villalta", "baseline_vcss",
          "baseline_ulcer", "age_years", "sex", "months_since_dvt", "center_id")
categorical <- c("obstruction_site", "stenosis_grade", "baseline_ulcer", "sex", "center_id")
f <- reformulate(covs, response = "stent")
fit <- glm(f, family = binomial, data = reg, control = glm.control(epsilon = 1e-12, maxit = 100))
reg$ps <- fitted(fit)

reg$w_overlap <- ifelse(reg$stent == 1, 1 - reg$ps, reg$ps)
kept <- reg$ps >= 0.05 & reg$ps <= 0.95
share <- mean(reg$stent[kept])
reg$w_iptw <- ifelse(kept, ifelse(reg$stent == 1, share / reg$ps, (1 - share) / (1 - reg$ps)), 0)

# MatchIt 4.5.1's fast nearest-neighbour path (taken when the distance is a propensity score) ignores
# the caliper (kosukeimai/MatchIt#163, "Caliper not working as intended on versions 4.5.1 - 4.5.3"):
# matchit(f, method = "nearest", distance = "glm", caliper = 0.2, std.caliper = TRUE) matches all 991
# medical patients here, pairs up to 0.45 apart in PS against a caliper of 0.039 (row
# "matchit_fast_path"). So MatchIt is given what those arguments specify through its general path: the
# distance as the matrix |ps_stent - ps_medical|, the caliper 0.2 x sd(ps) in PS units (std.caliper =
# FALSE), the stent patients in decreasing PS order (R's stable order) and m.order = "data".
fast <- matchit(f, data = reg, method = "nearest", distance = "glm", caliper = 0.2, std.caliper = TRUE)
stopifnot(all(abs(fast$distance - reg$ps) < 1e-8))
ord <- order(-reg$stent, -reg$ps)
s <- reg[ord, ]
dm <- abs(outer(s$ps[s$stent == 1], s$ps[s$stent == 0], "-"))
m <- matchit(stent ~ 1, data = s, method = "nearest", distance = dm, caliper = 0.2 * sd(reg$ps),
             std.caliper = FALSE, m.order = "data")
mm <- m$match.matrix
stopifnot(all(rownames(mm) == rownames(s)[s$stent == 1]))
partner <- setNames(rep(NA_character_, nrow(reg)), reg$patient_id)
got <- !is.na(mm[, 1])
partner[s[rownames(mm)[got], "patient_id"]] <- s[mm[got, 1], "patient_id"]
partner[s[mm[got, 1], "patient_id"]] <- s[rownames(mm)[got], "patient_id"]
reg$partner <- unname(partner[reg$patient_id])
reg$matched <- as.integer(!is.na(reg$partner))
stopifnot(sum(reg$matched) == sum(m$weights > 0))
reg$w_matching <- as.numeric(reg$matched)
stopifnot(all(abs(m$distance - reg$ps) < 1e-8))

per_patient <- reg[, c("patient_id", "arm", "ps", "w_overlap", "w_iptw", "matched", "partner")]
write.csv(per_patient, file.path(dir, "propensity_patients_reference.csv"), row.names = FALSE, na = "")

out <- list()
add <- function(method, quantity, term, value) {
  out[[length(out) + 1]] <<- data.frame(method = method, quantity = quantity, term = term, value = value)
}

wvar <- function(x, w) {  # survey's svyvar: sum w (x - m)^2 / sum w * n / (n - 1), units with w > 0
  k <- w > 0; x <- x[k]; w <- w[k]; n <- length(x)
  mu <- sum(w * x) / sum(w)
  sum(w * (x - mu)^2) / sum(w) * n / (n - 1)
}
smd <- function(x, s, w) {
  a <- s == 1 & w > 0; b <- s == 0 & w > 0
  if (is.character(x)) {
    lv <- sort(unique(x[a | b]))
    p1 <- sapply(lv, function(l) sum(w[a][x[a] == l]) / sum(w[a]))[-1]
    p2 <- sapply(lv, function(l) sum(w[b][x[b] == l]) / sum(w[b]))[-1]
    s1 <- diag(p1, length(p1)) - outer(p1, p1); s2 <- diag(p2, length(p2)) - outer(p2, p2)
    dd <- p1 - p2
    return(sqrt(drop(t(dd) %*% MASS::ginv((s1 + s2) / 2) %*% dd)))
  }
  m1 <- sum(w[a] * x[a]) / sum(w[a]); m2 <- sum(w[b] * x[b]) / sum(w[b])
  (m1 - m2) / sqrt((wvar(x[a], w[a]) + wvar(x[b], w[b])) / 2)
}
evalue <- function(rr) { rr <- ifelse(rr < 1, 1 / rr, rr); rr + sqrt(rr * (rr - 1)) }
evalue_ci <- function(rr, lo, hi) {
  if (lo <= 1 && 1 <= hi) return(c(evalue(rr), 1))
  c(evalue(rr), evalue(if (rr > 1) lo else hi))
}
hr_rr <- function(hr, share) if (share < 0.15) hr else (1 - 0.5^sqrt(hr)) / (1 - 0.5^sqrt(1 / hr))

svy_change <- function(data, w) {
  k <- !is.na(data$change) & w > 0
  dd <- data[k, ]; dd$w <- w[k]
  des <- svydesign(ids = ~1, weights = ~w, data = dd)
  g <- svyglm(change ~ I(arm == "stent"), design = des)
  ci <- confint(g)[2, ]
  p <- summary(g)$coefficients[2, 4]
  list(est = unname(coef(g)[2]), se = unname(sqrt(vcov(g)[2, 2])), lo = unname(ci[1]), hi = unname(ci[2]),
       p = p, df = g$df.residual, data = dd)
}

tr <- svy_change(trial, rep(1, nrow(trial)))
for (q in c("est", "se", "lo", "hi", "p", "df"))
  add("trial", "change", c(est = "estimate", se = "se", lo = "ci_low", hi = "ci_high", p = "p", df = "df")[[q]], tr[[q]])

add("matching", "matchit_fast_path", "matched_patients", sum(fast$weights > 0))
add("matching", "matchit_fast_path", "largest_pair_gap",
    max(tapply(fast$distance[fast$weights > 0], fast$subclass[fast$weights > 0], function(x) abs(diff(x)))))
ones <- rep(1, nrow(reg))
for (method in c("unadjusted", "overlap", "iptw", "matching")) {
  w <- if (method == "unadjusted") ones else reg[[paste0("w_", method)]]
  for (cv in covs) {
    add(method, "smd_before", cv, smd(reg[[cv]], reg$stent, ones))
    add(method, "smd_after", cv, smd(reg[[cv]], reg$stent, w))
  }
  for (arm in c(1, 0)) {
    ww <- w[reg$stent == arm]
    add(method, "ess", ifelse(arm == 1, "stent", "medical"), sum(ww)^2 / sum(ww^2))
  }
  r <- svy_change(reg, w)
  for (arm in c("stent", "medical")) {
    a <- r$data[r$data$arm == arm, ]
    add(method, "mean_change", arm, sum(a$w * a$change) / sum(a$w))
  }
  for (q in c("est", "se", "lo", "hi", "p", "df"))
    add(method, "change", c(est = "estimate", se = "se", lo = "ci_low", hi = "ci_high", p = "p", df = "df")[[q]], r[[q]])
  v <- tapply(r$data$change, r$data$arm, var)
  sdp <- sqrt((v[["stent"]] + v[["medical"]]) / 2)
  ev <- evalue_ci(exp(0.91 * r$est / sdp), exp(0.91 * r$lo / sdp), exp(0.91 * r$hi / sdp))
  add(method, "change", "pooled_sd", sdp)
  add(method, "change", "evalue", ev[1]); add(method, "change", "evalue_ci", ev[2])
  if (method != "unadjusted") {
    diff <- r$est - tr$est; se <- sqrt(r$se^2 + tr$se^2)
    add(method, "benchmark", "difference", diff); add(method, "benchmark", "se", se)
    add(method, "benchmark", "ci_low", diff - qnorm(0.975) * se); add(method, "benchmark", "ci_high", diff + qnorm(0.975) * se)
  }

  # responders: improved by at least 4 Villalta points (change <= -4); share difference (gaussian)
  # and ratio (quasipoisson, log link), each with its robust SE and confint
  r$data$responder <- as.numeric(r$data$change <= -4)
  des <- svydesign(ids = ~1, weights = ~w, data = r$data)
  rd <- svyglm(responder ~ I(arm == "stent"), design = des)
  ci <- confint(rd)[2, ]
  add(method, "responder_difference", "estimate", unname(coef(rd)[2]))
  add(method, "responder_difference", "se", unname(sqrt(vcov(rd)[2, 2])))
  add(method, "responder_difference", "ci_low", unname(ci[1])); add(method, "responder_difference", "ci_high", unname(ci[2]))
  rr <- svyglm(responder ~ I(arm == "stent"), design = des, family = quasipoisson())
  ci <- exp(confint(rr)[2, ])
  rr_est <- unname(exp(coef(rr)[2]))
  add(method, "responder_ratio", "estimate", rr_est)
  add(method, "responder_ratio", "se_log", unname(sqrt(vcov(rr)[2, 2])))
  add(method, "responder_ratio", "ci_low", unname(ci[1])); add(method, "responder_ratio", "ci_high", unname(ci[2]))
  add(method, "responder_ratio", "p", summary(rr)$coefficients[2, 4])
  evr <- evalue_ci(rr_est, unname(ci[1]), unname(ci[2]))
  add(method, "responder_ratio", "evalue", evr[1]); add(method, "responder_ratio", "evalue_ci", evr[2])

  k <- !is.na(reg$duration_days) & w > 0
  ev_rows <- reg[k, ]; ev_rows$w <- w[k]
  cx <- coxph(Surv(duration_days, observed) ~ I(arm == "stent"), data = ev_rows, weights = w, robust = TRUE,
              ties = "efron", control = coxph.control(eps = 1e-10, iter.max = 100))
  b <- unname(coef(cx)); se <- unname(sqrt(vcov(cx)[1, 1]))
  share_ev <- mean(ev_rows$observed)
  hr <- c(exp(b), exp(b - qnorm(0.975) * se), exp(b + qnorm(0.975) * se))
  add(method, "cox", "log_hr", b); add(method, "cox", "robust_se", se); add(method, "cox", "hr", hr[1])
  add(method, "cox", "ci_low", hr[2]); add(method, "cox", "ci_high", hr[3]); add(method, "cox", "event_share", share_ev)
  add(method, "cox", "naive_se", unname(sqrt(cx$naive.var[1, 1])))
  evh <- evalue_ci(hr_rr(hr[1], share_ev), hr_rr(hr[2], share_ev), hr_rr(hr[3], share_ev))
  add(method, "cox", "evalue", evh[1]); add(method, "cox", "evalue_ci", evh[2])
  # The same model with the ties broken (the k-th eligible patient, in data order, + (k - 1) x 1e-4
  # days): lifelines' robust SE equals R's without tied event times, differs slightly with them.
  ev_rows$untied <- ev_rows$duration_days + (seq_len(nrow(ev_rows)) - 1) * 1e-4
  cu <- coxph(Surv(untied, observed) ~ I(arm == "stent"), data = ev_rows, weights = w, robust = TRUE,
              ties = "efron", control = coxph.control(eps = 1e-10, iter.max = 100))
  add(method, "cox_untied", "log_hr", unname(coef(cu))); add(method, "cox_untied", "robust_se", unname(sqrt(vcov(cu)[1, 1])))
  km <- survfit(Surv(duration_days, observed) ~ arm, data = ev_rows, weights = w)
  sm <- summary(km, times = c(365, 730, 1826), extend = TRUE)
  for (i in seq_along(sm$time))
    add(method, "km", paste0(sub("arm=", "", sm$strata[i]), "@", sm$time[i]), sm$surv[i])
}

res <- do.call(rbind, out)
res$value <- sprintf("%.15g", res$value)
write.csv(res, file.path(dir, "propensity_reference.csv"), row.names = FALSE)
cat("matched pairs:", sum(reg$matched) / 2, "\n")

# ------------------------------------------------------------------------------------------------
# The page's analysed sets (propensity_sets_input.csv: the same cohort's rows with stenosis % and the
# recurrent-DVT endpoint too). The page fits the score among the registry patients it analyses, by
# default only those within the trial's inclusion criteria (stenosis >= 50%, and baseline Villalta
# >= 10 or an open ulcer; unknown counts as not met): set "change" (Villalta at baseline and month 6),
# "ulcer_healing" (an open ulcer at baseline), "recurrent_dvt" (at risk: a follow-up time above zero). In each,
# a study centre with fewer than 3 patients of either arm joins one level "(other centres)"; when that
# level has fewer than 3 of an arm or is the only level, the centre leaves the score; covariates that
# do not vary are left out (glm cannot use them). Then per method: the score, the weights and the
# matched pairs as above, the ESS and the SMDs after; for "change" svyglm of the change and the
# responders (difference and ratio); for an endpoint the weighted coxph (robust) and, "trial",
# coxph on the trial's patients (weight 1), and cox.zph of each Cox fit (chisq, p). Output: propensity_sets_patients_reference.csv (set,
# patient_id, ps, w_overlap, w_iptw, matched, partner), propensity_sets_reference.csv (set, method,
# quantity, term, value; quantity "pooled" lists the centres pooled and whether the centre left).
sets_in <- read.csv(file.path(dir, "propensity_sets_input.csv"), stringsAsFactors = FALSE)
met <- function(x) !is.na(x) & x
like <- sets_in[sets_in$design == "observational" & met(sets_in$stenosis_pct >= 50) &
                  (met(sets_in$baseline_villalta >= 10) | sets_in$baseline_ulcer == "yes"), ]
like$stent <- as.integer(like$arm == "stent")
trial_sets <- sets_in[sets_in$design == "randomized", ]

match_dm <- function(r) {  # MatchIt through its distance-matrix path, as above: the partner of each patient
  o <- order(-r$stent, -r$ps)
  s <- r[o, ]
  dm <- abs(outer(s$ps[s$stent == 1], s$ps[s$stent == 0], "-"))
  m <- matchit(stent ~ 1, data = s, method = "nearest", distance = dm, caliper = 0.2 * sd(r$ps),
               std.caliper = FALSE, m.order = "data")
  mm <- m$match.matrix
  p <- setNames(rep(NA_character_, nrow(r)), r$patient_id)
  ok <- !is.na(mm[, 1])
  p[s[rownames(mm)[ok], "patient_id"]] <- s[mm[ok, 1], "patient_id"]
  p[s[mm[ok, 1], "patient_id"]] <- s[rownames(mm)[ok], "patient_id"]
  unname(p[r$patient_id])
}

sets_out <- list()
add_set <- function(set, method, quantity, term, value) {
  sets_out[[length(sets_out) + 1]] <<- data.frame(set = set, method = method, quantity = quantity, term = term,
                                                  value = value)
}
sets_patients <- list()
cox_rows <- function(set, method, data, w, time, status) {
  k <- !is.na(data[[time]]) & w > 0
  ev <- data.frame(t = data[[time]][k], e = as.logical(data[[status]][k]), s = data$arm[k] == "stent", w = w[k])
  cx <- coxph(Surv(t, e) ~ s, data = ev, weights = w, robust = TRUE, ties = "efron",
              control = coxph.control(eps = 1e-10, iter.max = 100))
  b <- unname(coef(cx)); se <- unname(sqrt(vcov(cx)[1, 1]))
  add_set(set, method, "cox", "log_hr", b); add_set(set, method, "cox", "robust_se", se)
  add_set(set, method, "cox", "ci_low", exp(b - qnorm(0.975) * se))
  add_set(set, method, "cox", "ci_high", exp(b + qnorm(0.975) * se))
  add_set(set, method, "cox", "event_share", mean(ev$e))
  add_set(set, method, "cox", "n_stent", sum(ev$s)); add_set(set, method, "cox", "n_medical", sum(!ev$s))
  z <- cox.zph(cx)  # proportional hazards: score test on the weighted fit (transform "km", R's default)
  add_set(set, method, "cox_zph", "chisq", z$table[1, "chisq"]); add_set(set, method, "cox_zph", "p", z$table[1, "p"])
}

for (set in c("change", "ulcer_healing", "recurrent_dvt")) {
  have <- switch(set, change = like$change, ulcer_healing = like$duration_days, recurrent_dvt = like$dvt_duration_days)
  a <- like[!is.na(have) & (set == "change" | have > 0), ]  # zero follow-up: not at risk, not analysed
  used <- covs
  tab <- table(a$center_id, factor(a$stent, levels = c(0, 1)))
  small <- sort(rownames(tab)[apply(tab, 1, min) < 3], method = "radix")
  centre_out <- FALSE
  if (length(small)) {
    pooled <- ifelse(a$center_id %in% small, "(other centres)", a$center_id)
    centre_out <- min(colSums(tab[small, , drop = FALSE])) < 3 || length(unique(pooled)) < 2
    if (centre_out) used <- setdiff(used, "center_id") else a$center_id <- pooled
  }
  add_set(set, "score", "pooled", "centres", paste(small, collapse = " "))
  add_set(set, "score", "pooled", "centre_left_out", as.numeric(centre_out))
  used <- used[sapply(used, function(cv) length(unique(a[[cv]])) > 1)]
  add_set(set, "score", "covariates", "used", paste(used, collapse = " "))
  g <- glm(reformulate(used, response = "stent"), family = binomial, data = a,
           control = glm.control(epsilon = 1e-12, maxit = 100))
  a$ps <- fitted(g)
  a$w_overlap <- ifelse(a$stent == 1, 1 - a$ps, a$ps)
  kept <- a$ps >= 0.05 & a$ps <= 0.95
  share <- mean(a$stent[kept])
  a$w_iptw <- ifelse(kept, ifelse(a$stent == 1, share / a$ps, (1 - share) / (1 - a$ps)), 0)
  a$partner <- match_dm(a)
  a$matched <- as.integer(!is.na(a$partner))
  a$w_matching <- as.numeric(a$matched)
  sets_patients[[set]] <- data.frame(set = set, a[, c("patient_id", "ps", "w_overlap", "w_iptw", "matched", "partner")])
  for (method in c("unadjusted", "overlap", "iptw", "matching")) {
    w <- if (method == "unadjusted") rep(1, nrow(a)) else a[[paste0("w_", method)]]
    for (arm in c(1, 0)) {
      ww <- w[a$stent == arm]
      add_set(set, method, "ess", ifelse(arm == 1, "stent", "medical"), sum(ww)^2 / sum(ww^2))
    }
    for (cv in used) add_set(set, method, "smd_after", cv, smd(a[[cv]], a$stent, w))
    if (set == "change") {
      r <- svy_change(a, w)
      for (q in c("est", "se", "lo", "hi", "p"))
        add_set(set, method, "change", c(est = "estimate", se = "se", lo = "ci_low", hi = "ci_high", p = "p")[[q]], r[[q]])
      r$data$responder <- as.numeric(r$data$change <= -4)
      des <- svydesign(ids = ~1, weights = ~w, data = r$data)
      rd <- svyglm(responder ~ I(arm == "stent"), design = des)
      add_set(set, method, "responder_difference", "estimate", unname(coef(rd)[2]))
      add_set(set, method, "responder_difference", "se", unname(sqrt(vcov(rd)[2, 2])))
      rr <- svyglm(responder ~ I(arm == "stent"), design = des, family = quasipoisson())
      add_set(set, method, "responder_ratio", "estimate", unname(exp(coef(rr)[2])))
      add_set(set, method, "responder_ratio", "se_log", unname(sqrt(vcov(rr)[2, 2])))
    } else {
      time <- if (set == "ulcer_healing") "duration_days" else "dvt_duration_days"
      status <- if (set == "ulcer_healing") "observed" else "dvt_observed"
      cox_rows(set, method, a, w, time, status)
    }
  }
}
cox_rows("ulcer_healing", "trial", trial_sets, rep(1, nrow(trial_sets)), "duration_days", "observed")
cox_rows("recurrent_dvt", "trial", trial_sets, rep(1, nrow(trial_sets)), "dvt_duration_days", "dvt_observed")

write.csv(do.call(rbind, sets_patients), file.path(dir, "propensity_sets_patients_reference.csv"), row.names = FALSE,
          na = "")
sres <- do.call(rbind, sets_out)
sres$value <- ifelse(is.na(suppressWarnings(as.numeric(sres$value))), sres$value,
                     sprintf("%.15g", suppressWarnings(as.numeric(sres$value))))
write.csv(sres, file.path(dir, "propensity_sets_reference.csv"), row.names = FALSE)
cat("analysed sets:", paste(names(sets_patients), sapply(sets_patients, nrow)), "\n")

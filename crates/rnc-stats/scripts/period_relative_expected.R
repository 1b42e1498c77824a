#!/usr/bin/env Rscript
# Expected values of the period analysis (delayed entry) of relative and
# net survival in tests/period_relative.rs, on tests/data/cohort.csv and
# cohort_life_table.csv (written by scripts/cohort_expected.R).
#
# Usage (from crates/rnc-stats):
#   Rscript scripts/period_relative_expected.R
#
# No R package estimates Ederer II or Pohar-Perme with delayed entry the
# way relsurv's rs.surv does without it: relsurv 2.2-9 ignores the start
# time of Surv(start, stop, event). So this script prints two references
# for the period 2017-01-01 to 2019-12-31, at 1, 3 and 5 years:
#   * Ederer II computed here day by day, as rnc-stats defines it with
#     delayed entry: S(t) = prod over exit days t_j <= t of
#     (1 - d_j / n_j + sum over the days since t_(j-1) of the mean daily
#     population hazard of the patients at risk that day), the risk set on
#     day d being the patients with entry <= d < exit. Without delayed
#     entry this is relsurv's Ederer II.
#   * popEpi 0.4.10 survtab (relsurv.method "e2" and "pp") on lexpand
#     splits with follow-up intervals of 1/48 year and the period window
#     as per breaks, with yearly hazards = daily hazards x 365.241.
#     popEpi estimates each interval's hazard from person-time (d / pyrs,
#     surv.method "hazard"), not a product-limit over exit days, so it is a
#     method comparison, not an equality: the same script prints popEpi on
#     the cohort analysis, where relsurv is the exact reference, to show
#     the size of that method difference.
# Tested with R 4.2.2, popEpi 0.4.10 and data.table 1.14.8.
suppressPackageStartupMessages({
  library(popEpi)
  library(data.table)
})

year_days <- 365.241
cohort <- read.csv("tests/data/cohort.csv", stringsAsFactors = FALSE)
life <- read.csv("tests/data/cohort_life_table.csv", stringsAsFactors = FALSE)
cat(sprintf("R %s, popEpi %s\n", getRversion(), packageVersion("popEpi")))

# Ederer II with delayed entry, day by day.
diagnosis <- as.Date(cohort$date_of_diagnosis)
exit_date <- as.Date(cohort$exit_date)
start <- as.Date("2017-01-01")
end <- as.Date("2020-01-01")
entry <- as.integer(pmax(diagnosis, start) - diagnosis)
exit <- as.integer(pmin(exit_date, end) - diagnosis)
died <- ifelse(exit_date >= end, 0L, cohort$status)
keep <- diagnosis < end & exit_date > start & exit > entry
cat(sprintf("period patients %d\n", sum(keep)))
entry <- entry[keep]
exit <- exit[keep]
died <- died[keep]
age_days <- cohort$age_days[keep]
sex <- cohort$sex[keep]
diagnosed <- diagnosis[keep]
hazard_sum <- numeric(max(exit))
at_risk <- numeric(max(exit))
cell <- paste(life$sex, life$age, life$year)
for (i in seq_along(entry)) {
  day <- entry[i]:(exit[i] - 1)
  age <- floor((age_days[i] + day) / year_days)
  year <- as.integer(format(diagnosed[i] + day, "%Y"))
  hazard <- life$hazard[match(paste(sex[i], age, year), cell)]
  stopifnot(!anyNA(hazard))
  hazard_sum[day + 1] <- hazard_sum[day + 1] + hazard
  at_risk[day + 1] <- at_risk[day + 1] + 1
}
mean_hazard <- ifelse(at_risk > 0, hazard_sum / pmax(at_risk, 1), 0)
survival <- 1
previous <- 0
steps <- NULL
for (t in sort(unique(exit))) {
  n <- sum(entry < t & exit >= t)
  d <- sum(exit == t & died == 1)
  survival <- survival *
    (1 - (d / n - sum(mean_hazard[(previous + 1):t])))
  previous <- t
  steps <- rbind(steps, c(t, survival))
}
for (years in c(1, 3, 5)) {
  k <- max(which(steps[, 1] <= years * year_days))
  cat(sprintf("period ederer2 by day %g y: surv %.12f\n", years, steps[k, 2]))
}

# popEpi survtab, period and cohort analysis.
data <- as.data.table(cohort)
data[, dg := get.yrs(as.Date(date_of_diagnosis), year.length = "approx")]
data[, ex := get.yrs(as.Date(exit_date), year.length = "approx")]
data[, bi := dg - age_days / year_days]
data[, sex := as.integer(sex == "female") + 1L]
pophaz <- as.data.table(life)[, .(sex = as.integer(sex == "female") + 1L,
                                  age = age, per = year,
                                  haz = hazard * year_days)]
intervals <- seq(0, 10, by = 1 / 48)
for (analysis in c("period", "cohort")) {
  breaks <- list(fot = intervals)
  if (analysis == "period") breaks$per <- c(2017, 2020)
  split <- suppressMessages(lexpand(data, birth = bi, entry = dg, exit = ex,
                                    status = status, breaks = breaks))
  for (method in c("e2", "pp")) {
    fit <- as.data.table(survtab(Surv(fot, lex.Xst) ~ 1, data = split,
                                 breaks = list(fot = intervals),
                                 surv.type = "surv.rel",
                                 relsurv.method = method, pophaz = pophaz))
    column <- paste0("r.", method)
    for (years in c(1, 3, 5)) {
      row <- fit[abs(Tstop - years) < 1e-9]
      cat(sprintf("%s popEpi %s %g y: surv %.12f\n", analysis, method,
                  years, row[[column]]))
    }
  }
}

#!/usr/bin/env Rscript
# Expected values of the survival tests of rnc-stats, printed to 12 decimals.
#
# Usage (from crates/rnc-stats):
#   Rscript scripts/survival_expected.R ../../../shared/data/relsurv
#
# Reads relsurv's colrec cohort and slopop life table as exported to CSV
# (colrec.csv, slopop.csv), rebuilds slopop as a survival ratetable (daily
# hazards; age cut points at age x 365.241 days; a year's row applies from
# 1 January of that year) and prints, at 1, 3, 5 and 10 years of 365.241 days:
#   * Kaplan-Meier, survival::survfit(conf.type = "log-log"), with n.risk;
#   * Pohar-Perme and Ederer II, relsurv::rs.surv(conf.type = "log").
# Tested with R 4.2.2, survival 3.5-3 and relsurv 2.2-9 (Debian 12 packages
# r-cran-survival and r-cran-relsurv).
suppressPackageStartupMessages({
  library(survival)
  library(relsurv)
})
source("scripts/ratetable.R")

args <- commandArgs(trailingOnly = TRUE)
folder <- if (length(args)) args[1] else "../../../shared/data/relsurv"
year_days <- 365.241
times <- c(1, 3, 5, 10) * year_days

patients <- read.csv(file.path(folder, "colrec.csv"), stringsAsFactors = FALSE)
life <- read.csv(file.path(folder, "slopop.csv"), stringsAsFactors = FALSE)

sexes <- c("male", "female")
table <- ratetable_from_life_table(life, year_days)

patients$diag <- as.Date(patients$date_of_diagnosis)
patients$sex_index <- match(patients$sex, sexes)

print_rows <- function(label, fit) {
  s <- summary(fit, times = times, extend = TRUE)
  for (k in seq_along(times)) {
    cat(sprintf("%s %2g y: n.risk %5.0f surv %.12f lower %.12f upper %.12f\n",
                label, times[k] / year_days, s$n.risk[k], s$surv[k],
                s$lower[k], s$upper[k]))
  }
}

cat(sprintf("R %s, survival %s, relsurv %s\n", getRversion(),
            packageVersion("survival"), packageVersion("relsurv")))

km <- survfit(Surv(time, status) ~ 1, data = patients, conf.type = "log-log")
print_rows("kaplan-meier log-log", km)

for (method in c("pohar-perme", "ederer2")) {
  fit <- rs.surv(Surv(time, status) ~ 1, data = patients, ratetable = table,
                 method = method, conf.type = "log",
                 rmap = list(age = age_days, sex = sex_index, year = diag))
  print_rows(method, fit)
}

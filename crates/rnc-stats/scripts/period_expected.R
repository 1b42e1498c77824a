#!/usr/bin/env Rscript
# Writes the synthetic cohort tests/data/period_cohort.csv and prints the
# expected values of tests/period.rs, to 12 decimals.
#
# Usage (from crates/rnc-stats):
#   Rscript scripts/period_expected.R tests/data/period_cohort.csv
#
# The cohort: 400 patients diagnosed uniformly over 2008-01-01 to
# 2016-12-31, exponential survival with a mean of 4 years, rounded up to
# whole days, censored on 2019-12-31 (seed 20261204). No real person.
#
# Printed, at 1, 3 and 5 years of 365.241 days:
#   * period analysis: follow-up inside the window 2015-01-01 (included)
#     to 2018-01-01 (excluded), with delayed entry at the window's start,
#     survival::survfit(Surv(entry, exit, status) ~ 1, conf.type =
#     "log-log");
#   * cohort analysis: patients diagnosed 2008-2010, followed from
#     diagnosis, survival::survfit(Surv(time, status) ~ 1, conf.type =
#     "log-log").
# Tested with R 4.2.2 and survival 3.5-3 (Debian 12 r-cran-survival).
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "tests/data/period_cohort.csv"
year_days <- 365.241
times <- c(1, 3, 5) * year_days

set.seed(20261204)
n <- 400
first <- as.Date("2008-01-01")
last <- as.Date("2016-12-31")
closing <- as.Date("2019-12-31")
diagnosis <- first + sample(0:as.integer(last - first), n, replace = TRUE)
death <- diagnosis + ceiling(rexp(n, 1 / (4 * year_days)))
status <- as.integer(death <= closing)
exit <- as.Date(ifelse(status == 1, death, closing), origin = "1970-01-01")
cohort <- data.frame(id = sprintf("S%03d", seq_len(n)),
                     date_of_diagnosis = format(diagnosis),
                     exit_date = format(exit), status = status)
write.csv(cohort, out, row.names = FALSE, quote = FALSE)

cat(sprintf("R %s, survival %s\n", getRversion(), packageVersion("survival")))

print_rows <- function(label, fit) {
  s <- summary(fit, times = times, extend = TRUE)
  for (k in seq_along(times)) {
    cat(sprintf("%s %g y: n.risk %4.0f surv %.12f lower %.12f upper %.12f\n",
                label, times[k] / year_days, s$n.risk[k], s$surv[k],
                s$lower[k], s$upper[k]))
  }
}

start <- as.Date("2015-01-01")
end <- as.Date("2018-01-01")
inside <- diagnosis < end & exit > start
entry_date <- pmax(diagnosis, start)
stop_date <- pmin(exit, end)
period <- data.frame(
  entry = as.numeric(entry_date - diagnosis),
  exit = as.numeric(stop_date - diagnosis),
  status = ifelse(exit >= end, 0L, status))[inside, ]
cat(sprintf("period patients %d, deaths %d\n", nrow(period),
            sum(period$status)))
fit <- survfit(Surv(entry, exit, status) ~ 1, data = period,
               conf.type = "log-log")
print_rows("period", fit)

diagnosed <- as.integer(format(diagnosis, "%Y"))
chosen <- diagnosed >= 2008 & diagnosed <= 2010
cohort_fit <- survfit(Surv(as.numeric(exit - diagnosis), status) ~ 1,
                      subset = chosen, conf.type = "log-log")
cat(sprintf("cohort patients %d\n", sum(chosen)))
print_rows("cohort", cohort_fit)

#!/usr/bin/env Rscript
# Writes the synthetic cohort file, life table and population of
# tests/data (cohort.csv, cohort_life_table.csv, cohort_population.csv) and
# prints the R estimates that tests/cohort.rs and the rnc-cli test of
# `rnc stats --input --layout cohort` pin, to 12 decimals.
#
# Usage (from crates/rnc-stats):
#   Rscript scripts/cohort_expected.R tests/data
#
# Everything is synthetic (seed 20261205); no real person.
#   * Life table: daily hazard exp(-10 + 0.09 age) / 365.241 x 1.35 for
#     men, falling 1 % a year from 2008, for ages 0-105 and years
#     2008-2020.
#   * Cohort: 600 patients, sex at random, age at diagnosis uniform from
#     20 to 90 years (whole days), diagnosed uniformly over 2010-2016, dead
#     after an exponential time whose yearly hazard is 0.05 + 0.004 (age -
#     20) for stage 1 and 2 and 0.4 for stage 3, rounded up to whole days,
#     censored on 2019-12-31. A département column (of three regions)
#     is for strata.
#   * Population: person-years by sex and five-year age band, for
#     incidence rates of the cohort's cases.
# Printed:
#   * survival at 1, 3 and 5 years of 365.241 days, over all patients and
#     by sex: survival::survfit(conf.type = "log-log") (Kaplan-Meier),
#     relsurv::rs.surv(conf.type = "log") with method "ederer2" and
#     "pohar-perme", and Pohar-Perme standardised with the ICSS 1 weights
#     (Corazziari, Quinn & Capocaccia 2004: 0.07, 0.12, 0.23, 0.29, 0.29)
#     from rs.surv on each age group, with variance sum(w^2 se^2), se being
#     summary()'s standard error of the survival;
#   * Kaplan-Meier of the period 2017-01-01 to 2019-12-31 with delayed
#     entry, survfit(Surv(entry, exit, status) ~ 1, conf.type = "log-log");
#   * prevalence at 2017-06-30, complete and over 1, 3 and 5 years, by
#     counting;
#   * incidence by sex: crude rate and epitools::ageadjust.direct with the
#     World (Segi 1960) standard, per 100 000.
# Tested with R 4.2.2, survival 3.5-3, relsurv 2.2-9 and epitools
# 0.5-10.1 (Debian 12 packages).
suppressPackageStartupMessages({
  library(survival)
  library(relsurv)
  library(epitools)
})
source("scripts/ratetable.R")

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "tests/data"
year_days <- 365.241
times <- c(1, 3, 5) * year_days
set.seed(20261205)

# Life table.
ages <- 0:105
years <- 2008:2020
sexes <- c("male", "female")
grid <- expand.grid(age = ages, year = years, sex = sexes,
                    stringsAsFactors = FALSE)
grid$hazard <- exp(-10 + 0.09 * grid$age) / year_days *
  ifelse(grid$sex == "male", 1.35, 1) * 0.99^(grid$year - 2008)
life <- grid[order(grid$sex, grid$year, grid$age), c("sex", "age", "year",
                                                     "hazard")]
write.csv(life, file.path(out, "cohort_life_table.csv"), row.names = FALSE,
          quote = FALSE)
table <- ratetable_from_life_table(life, year_days)

# Cohort.
n <- 600
first <- as.Date("2010-01-01")
last <- as.Date("2016-12-31")
closing <- as.Date("2019-12-31")
sex <- sample(sexes, n, replace = TRUE)
age_days <- round(runif(n, 20, 90) * year_days)
stage <- sample(1:3, n, replace = TRUE)
departement <- sample(c("75", "92", "13", "06", "69"), n, replace = TRUE)
diagnosis <- first + sample(0:as.integer(last - first), n, replace = TRUE)
yearly <- ifelse(stage == 3, 0.4, 0.05 + 0.004 * (age_days / year_days - 20))
death <- diagnosis + ceiling(rexp(n, yearly) * year_days)
status <- as.integer(death <= closing)
exit <- as.Date(ifelse(status == 1, death, closing), origin = "1970-01-01")
time <- as.integer(exit - diagnosis)
cohort <- data.frame(id = sprintf("C%03d", seq_len(n)), sex = sex,
                     age_days = age_days, stage = stage,
                     departement = departement,
                     date_of_diagnosis = format(diagnosis),
                     exit_date = format(exit), time = time, status = status)
write.csv(cohort, file.path(out, "cohort.csv"), row.names = FALSE,
          quote = FALSE)
cohort$diag <- diagnosis
cohort$sex_index <- match(cohort$sex, sexes)
stopifnot(all(cohort$time > 0))

cat(sprintf("R %s, survival %s, relsurv %s, epitools %s\n", getRversion(),
            packageVersion("survival"), packageVersion("relsurv"),
            packageVersion("epitools")))
cat(sprintf("cohort: %d patients, %d deaths\n", n, sum(status)))

print_rows <- function(label, fit) {
  s <- summary(fit, times = times, extend = TRUE)
  for (k in seq_along(times)) {
    cat(sprintf("%s %g y: n.risk %4.0f surv %.12f lower %.12f upper %.12f\n",
                label, times[k] / year_days, s$n.risk[k], s$surv[k],
                s$lower[k], s$upper[k]))
  }
}

relative <- function(data, method) {
  rs.surv(Surv(time, status) ~ 1, data = data, ratetable = table,
          method = method, conf.type = "log",
          rmap = list(age = age_days, sex = sex_index, year = diag))
}

icss <- function(data, label) {
  weights <- c(0.07, 0.12, 0.23, 0.29, 0.29)
  group <- cut(floor(data$age_days / year_days), c(15, 45, 55, 65, 75, Inf),
               right = FALSE, labels = FALSE)
  surv <- matrix(NA_real_, 5, length(times))
  se <- matrix(NA_real_, 5, length(times))
  for (g in 1:5) {
    s <- summary(relative(data[group %in% g, ], "pohar-perme"),
                 times = times, extend = TRUE)
    surv[g, ] <- s$surv
    se[g, ] <- s$std.err
  }
  z <- qnorm(0.975)
  for (k in seq_along(times)) {
    value <- sum(weights * surv[, k])
    error <- sqrt(sum(weights^2 * se[, k]^2))
    cat(sprintf("%s icss1 %g y: surv %.12f lower %.12f upper %.12f\n", label,
                times[k] / year_days, value, value - z * error,
                value + z * error))
  }
}

for (stratum in c("all", sexes)) {
  data <- if (stratum == "all") cohort else cohort[cohort$sex == stratum, ]
  print_rows(paste(stratum, "kaplan-meier"),
             survfit(Surv(time, status) ~ 1, data = data,
                     conf.type = "log-log"))
  print_rows(paste(stratum, "ederer2"), relative(data, "ederer2"))
  print_rows(paste(stratum, "pohar-perme"), relative(data, "pohar-perme"))
  icss(data, stratum)
}

# Period analysis, Kaplan-Meier with delayed entry.
start <- as.Date("2017-01-01")
end <- as.Date("2020-01-01")
inside <- diagnosis < end & exit > start
period <- data.frame(
  entry = as.numeric(pmax(diagnosis, start) - diagnosis),
  exit = as.numeric(pmin(exit, end) - diagnosis),
  status = ifelse(exit >= end, 0L, status))[inside, ]
cat(sprintf("period patients %d, deaths %d\n", nrow(period),
            sum(period$status)))
print_rows("period kaplan-meier",
           survfit(Surv(entry, exit, status) ~ 1, data = period,
                   conf.type = "log-log"))

# Prevalence by counting.
index <- as.Date("2017-06-30")
alive <- diagnosis <= index & exit > index
cat(sprintf("prevalence complete %d", sum(alive)))
for (duration in c(1, 3, 5)) {
  since <- as.Date(sprintf("%d-06-30", 2017 - duration))
  cat(sprintf(" %dy %d", duration, sum(alive & diagnosis > since)))
}
cat("\n")

# Population and incidence by sex.
bands <- c("0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34",
           "35-39", "40-44", "45-49", "50-54", "55-59", "60-64", "65-69",
           "70-74", "75-79", "80-84", "85+")
population <- expand.grid(age_group = bands, sex = sexes,
                          stringsAsFactors = FALSE)
population$person_years <- round(runif(nrow(population), 20000, 80000))
population <- population[, c("sex", "age_group", "person_years")]
write.csv(population, file.path(out, "cohort_population.csv"),
          row.names = FALSE, quote = FALSE)
world <- c(12000, 10000, 9000, 9000, 8000, 8000, 6000, 6000, 6000, 6000,
           5000, 4000, 4000, 3000, 2000, 1000, 500, 500)
band <- pmin(floor(floor(cohort$age_days / year_days) / 5), 17) + 1
for (s in sexes) {
  count <- tabulate(band[cohort$sex == s], nbins = 18)
  pyears <- population$person_years[population$sex == s]
  direct <- ageadjust.direct(count, pyears, stdpop = world) * 1e5
  crude <- poisson.test(sum(count), sum(pyears))$conf.int * 1e5
  cat(sprintf(paste("incidence %s: cases %d crude %.12f (%.12f, %.12f)",
                    "asr %.12f (%.12f, %.12f)\n"), s, sum(count),
              direct[["crude.rate"]], crude[1], crude[2],
              direct[["adj.rate"]], direct[["lci"]], direct[["uci"]]))
}

#!/usr/bin/env Rscript
# Benchmark: Pohar-Perme net survival on a synthetic cohort, rnc-stats
# against relsurv::rs.surv on the same CSV files.
#
# Usage (from crates/rnc-stats, after
#   cargo build --release -p rnc-stats --example net_survival):
#   Rscript scripts/bench_net_survival.R [PATIENTS] [OUT_DIR]
# PATIENTS defaults to 1000000 and OUT_DIR to a temporary folder.
#
# The cohort is seeded (set.seed(2026)), so a rerun writes the same file:
# sex male/female at random, age at diagnosis uniform from 40 to 90 years
# (whole days), diagnosis date uniform over 2012-2016, death after an
# exponential time whose yearly hazard is 0.08 + 0.004 (age - 40), and
# censoring at the closing date 2017-01-31 (so at most 5 years and 30 days
# of follow-up; a death on the day of diagnosis is moved to day 1). The life
# table is relsurv's slopop exported as CSV (folder given by the variable
# RELSURV_DATA, default ../../../shared/data/relsurv).
#
# It times rs.surv on the data already in R, and the whole Rust process
# (reading both CSVs included), in wall and in CPU seconds, then prints
# both estimates at 1 to 5 years and their largest difference.
suppressPackageStartupMessages({
  library(survival)
  library(relsurv)
})
source("scripts/ratetable.R")

args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args) >= 1) as.integer(args[1]) else 1000000L
out <- if (length(args) >= 2) args[2] else tempfile("bench_net_survival")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
data_folder <- Sys.getenv("RELSURV_DATA", "../../../shared/data/relsurv")
binary <- Sys.getenv("RNC_NET_SURVIVAL", "../../target/release/examples/net_survival")
year_days <- 365.241

set.seed(2026)
first <- as.Date("2012-01-01")
last <- as.Date("2016-12-31")
closing <- as.Date("2017-01-31")
diagnosis <- first + sample.int(as.integer(last - first) + 1L, n, replace = TRUE) - 1L
age_days <- round(runif(n, 40, 90) * year_days)
sex <- sample(c("male", "female"), n, replace = TRUE)
yearly_hazard <- 0.08 + 0.004 * (age_days / year_days - 40)
death_days <- ceiling(rexp(n, yearly_hazard) * year_days)
open_days <- as.integer(closing - diagnosis)
status <- as.integer(death_days <= open_days)
time <- pmax(pmin(death_days, open_days), 1L)
cohort <- data.frame(id = seq_len(n), sex = sex, age_days = age_days,
                     date_of_diagnosis = format(diagnosis), time = time,
                     status = status)
cohort_path <- file.path(out, "cohort.csv")
write.csv(cohort, cohort_path, row.names = FALSE, quote = FALSE)
table_path <- file.path(data_folder, "slopop.csv")
cat(sprintf("cohort: %d patients, %d deaths, written to %s\n", n,
            sum(status), cohort_path))

life <- read.csv(table_path, stringsAsFactors = FALSE)
sexes <- c("male", "female")
table <- ratetable_from_life_table(life, year_days)
cohort$diag <- diagnosis
cohort$sex_index <- match(cohort$sex, sexes)

# CPU seconds (user + system) of this R process and of its finished
# children: on a shared machine CPU time varies much less than wall time.
cpu <- function(which) {
  times <- proc.time()
  if (which == "self") times[["user.self"]] + times[["sys.self"]]
  else times[["user.child"]] + times[["sys.child"]]
}
rust_started <- proc.time()[["elapsed"]]
rust_cpu_started <- cpu("child")
rust_output <- system2(binary, c(cohort_path, table_path), stdout = TRUE)
rust_seconds <- proc.time()[["elapsed"]] - rust_started
rust_cpu <- cpu("child") - rust_cpu_started
cat(rust_output, sep = "\n")

r_started <- proc.time()[["elapsed"]]
r_cpu_started <- cpu("self")
fit <- rs.surv(Surv(time, status) ~ 1, data = cohort, ratetable = table,
               method = "pohar-perme", conf.type = "log",
               rmap = list(age = age_days, sex = sex_index, year = diag))
r_seconds <- proc.time()[["elapsed"]] - r_started
r_cpu <- cpu("self") - r_cpu_started
times <- (1:5) * year_days
relsurv_surv <- summary(fit, times = times, extend = TRUE)$surv
rust_surv <- as.numeric(sub(".*surv ([0-9.]+).*", "\\1",
                            grep("^ +[1-5] y: surv", rust_output, value = TRUE)))
for (k in seq_along(times)) {
  cat(sprintf("%d y: relsurv %.12f rnc-stats %.12f\n", k, relsurv_surv[k],
              rust_surv[k]))
}
cat(sprintf("largest difference: %.3g\n", max(abs(relsurv_surv - rust_surv))))
cat(sprintf("[time] relsurv rs.surv %.1f s; rnc-stats whole process %.2f s; ratio %.0f\n",
            r_seconds, rust_seconds, r_seconds / rust_seconds))
cat(sprintf("[cpu] relsurv rs.surv %.1f s; rnc-stats whole process %.2f s (all threads); ratio %.0f\n",
            r_cpu, rust_cpu, r_cpu / rust_cpu))
cat(sprintf("R %s, survival %s, relsurv %s\n", getRversion(),
            packageVersion("survival"), packageVersion("relsurv")))

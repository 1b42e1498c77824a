#!/usr/bin/env Rscript
# Writes the synthetic aggregate file tests/data/aggregate_by_departement.csv
# and prints the expected values of tests/aggregate.rs, to 12 significant
# digits.
#
# Usage (from crates/rnc-stats):
#   Rscript scripts/aggregate_expected.R tests/data/aggregate_by_departement.csv
#
# The file: cases and person-years by sex, département (69 and 38, both in
# region 84 Auvergne-Rhône-Alpes, and 35 in region 53 Bretagne) and the 18
# five-year age bands, drawn with seed 20261204. No real count.
# Printed, per sex and region: the sums, the crude rate with
# poisson.test limits, and epitools::ageadjust.direct with the Segi 1960
# world standard (Fay-Feuer gamma limits), all per 100 000.
# Tested with R 4.2.2 and epitools 0.5-10.1 (Debian 12 r-cran-epitools).
suppressPackageStartupMessages(library(epitools))

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "tests/data/aggregate_by_departement.csv"
bands <- c("0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39",
           "40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70-74",
           "75-79", "80-84", "85+")
world <- c(12000, 10000, 9000, 9000, 8000, 8000, 6000, 6000, 6000, 6000,
           5000, 4000, 4000, 3000, 2000, 1000, 500, 500)
departements <- c("69", "38", "35")
region <- c("69" = "84", "38" = "84", "35" = "53")

set.seed(20261204)
rows <- expand.grid(age_group = bands, departement = departements,
                    sex = c("female", "male"), stringsAsFactors = FALSE)
rows$person_years <- round(runif(nrow(rows), 20000, 60000))
band <- match(rows$age_group, bands)
rate <- 2e-6 * exp(0.09 * 5 * band) * ifelse(rows$sex == "male", 1.3, 1)
rows$cases <- rpois(nrow(rows), rows$person_years * rate)
write.csv(rows[, c("sex", "departement", "age_group", "cases", "person_years")],
          out, row.names = FALSE, quote = FALSE)

cat(sprintf("R %s, epitools %s\n", getRversion(), packageVersion("epitools")))
rows$region <- region[rows$departement]
for (sex in c("female", "male")) {
  for (r in c("53", "84")) {
    part <- rows[rows$sex == sex & rows$region == r, ]
    cases <- tapply(part$cases, factor(part$age_group, bands), sum)
    py <- tapply(part$person_years, factor(part$age_group, bands), sum)
    crude <- poisson.test(sum(cases), sum(py))$conf.int * 1e5
    adjusted <- ageadjust.direct(cases, py, stdpop = world) * 1e5
    cat(sprintf(paste("%s %s: cases %d py %d crude %.12g (%.12g-%.12g)",
                      "asr %.12g (%.12g-%.12g)\n"),
                sex, r, sum(cases), sum(py), sum(cases) / sum(py) * 1e5,
                crude[1], crude[2], adjusted["adj.rate"], adjusted["lci"],
                adjusted["uci"]))
  }
}

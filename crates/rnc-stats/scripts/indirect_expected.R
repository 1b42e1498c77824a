#!/usr/bin/env Rscript
# Expected values of the standardised-ratio tests of rnc-stats.
#
# Usage: Rscript scripts/indirect_expected.R
#
# Prints, for a few observed counts O and expected counts E, the ratio O/E
# with its 95 % exact Poisson limits from base R's poisson.test and Byar's
# approximate limits, written out as
#   lower = O (1 - 1/(9 O) - z/(3 sqrt(O)))^3 / E,
#   upper = (O + 1) (1 - 1/(9 (O + 1)) + z/(3 sqrt(O + 1)))^3 / E.
# Tested with R 4.2.2.
cases <- list(c(23, 15.3), c(4, 10.2), c(0, 2.5), c(150, 120.4))
z <- qnorm(0.975)
for (case in cases) {
  o <- case[1]
  e <- case[2]
  exact <- poisson.test(o, e)$conf.int
  byar_lower <- if (o == 0) 0 else o * (1 - 1 / (9 * o) - z / (3 * sqrt(o)))^3 / e
  byar_upper <- (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * sqrt(o + 1)))^3 / e
  cat(sprintf("O %g E %g: ratio %.12f exact %.12f %.12f byar %.12f %.12f\n",
              o, e, o / e, exact[1], exact[2], byar_lower, byar_upper))
}

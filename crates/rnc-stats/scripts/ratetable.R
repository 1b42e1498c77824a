# Shared by the R scripts of rnc-stats: builds a survival ratetable from a
# life table data frame with the columns sex (male, female), age, year and
# hazard (daily), the CSV layout that rnc-stats reads. Age cut points are
# at age x 365.241 days, and a year's row applies from 1 January of that
# year, as in rnc-stats. Sex is the ratetable's first factor level for
# male and second for female, so a patient's sex index is
# match(sex, c("male", "female")).
ratetable_from_life_table <- function(life, year_days = 365.241) {
  ages <- sort(unique(life$age))
  years <- sort(unique(life$year))
  sexes <- c("male", "female")
  hazard <- array(NA_real_, c(length(ages), length(years), length(sexes)),
                  dimnames = list(age = ages, year = years, sex = sexes))
  hazard[cbind(match(life$age, ages), match(life$year, years),
               match(life$sex, sexes))] <- life$hazard
  stopifnot(!anyNA(hazard))
  table <- structure(hazard, dimid = c("age", "year", "sex"),
                     type = c(2, 3, 1), factor = c(0, 0, 1),
                     cutpoints = list(ages * year_days,
                                      as.Date(sprintf("%d-01-01", years)),
                                      NULL),
                     class = "ratetable")
  stopifnot(is.ratetable(table))
  table
}

//! Statistics of a population-based cancer registry.
//!
//! Incidence: from counts of tumours and person-years at risk, the crude
//! rate with its exact Poisson interval ([`crude_rate`]), age-specific rates
//! ([`age_specific_rates`]) and directly age-standardised rates with gamma
//! intervals ([`age_standardised_rate`], [`StandardisedRate`],
//! [`IntervalMethod`]) on a [`StandardPopulation`]. The IARC cumulative
//! rate and risk 0-74 complete the set. [`incidence_table`] assembles these
//! into one [`IncidenceRow`] per site group and sex, which converts to an
//! Arrow record batch or CSV. Indirect standardisation gives SIR and SMR
//! with exact and Byar limits ([`standardised_ratio`]).
//!
//! Survival, with follow-up in whole days ([`FollowUp`]): Kaplan-Meier
//! ([`kaplan_meier`]) as R `survival::survfit`, and Ederer II relative and
//! Pohar-Perme net survival ([`relative_survival`]) as R relsurv `rs.surv`,
//! with expected mortality from a [`LifeTable`] read from CSV. Curves are
//! [`SurvivalCurve`]s, read at any time with [`SurvivalCurve::at`]; the
//! ICSS weights standardise them by age ([`age_standardised_survival`]).
//!
//! Cohort and period analysis: [`AnalysisWindow`] gives each patient's
//! follow-up inside a window of diagnosis years or of calendar time, with
//! delayed entry ([`kaplan_meier_delayed`], [`CohortPatient::entry_days`]).
//!
//! On any cohort CSV a user brings ([`read_cohort_csv`], columns named in
//! [`CohortColumns`]): survival by stratum at chosen times
//! ([`cohort_survival`], [`SurvivalRow`]), prevalence at an index date
//! ([`cohort_prevalence`]) and incidence over a population's person-years
//! ([`cohort_incidence`]).
//!
//! Trends and prevalence: the EAPC ([`annual_percent_change`]), joinpoint
//! trends with APC per segment and AAPC ([`joinpoint_regression`]), and
//! partial and complete prevalence by counting ([`count_prevalence`]).
//!
//! Publication: [`suppress_counts`] hides small counts of a table and
//! every margin with secondary suppression, [`IncidenceSuppression`] and
//! [`published_incidence_csv`] apply it to the incidence table, and
//! [`region_of_departement`] maps INSEE département codes to regions.
//!
//! The crate does no file I/O: readers such as [`LifeTable::from_csv`] take
//! any [`std::io::Read`].
//!
//! # Example
//!
//! ```
//! use rnc_stats::{FollowUp, IntervalScale, crude_rate, kaplan_meier};
//!
//! // 10 cases in 100 000 person-years; R `poisson.test(10)` gives the
//! // limits 4.795389 and 18.390356 per 100 000.
//! let rate = crude_rate(10.0, 100_000.0, 0.95).unwrap();
//! assert_eq!(rate.value, 10.0);
//! assert!((rate.lower - 4.795389).abs() < 1e-6);
//! assert!((rate.upper - 18.390356).abs() < 1e-6);
//!
//! // Four patients; a death and a censoring tie on day 110, and the death
//! // counts first, so S(110) = 3/4.
//! let follow_ups = [
//!     FollowUp { days: 110, died: true },
//!     FollowUp { days: 110, died: false },
//!     FollowUp { days: 400, died: false },
//!     FollowUp { days: 500, died: true },
//! ];
//! let curve = kaplan_meier(&follow_ups, 0.95, IntervalScale::LogLog).unwrap();
//! assert_eq!(curve.at(200.0).survival(), Some(0.75));
//! ```

#![deny(missing_docs)]

mod aggregate;
mod cohort;
mod csv_input;
mod error;
mod geography;
mod icss;
mod indirect;
mod life_table;
mod net_survival;
mod period;
mod person_time;
mod prevalence;
mod publication;
mod rates;
mod standard;
mod strata;
mod suppression;
mod survival;
mod survival_table;
mod table;
mod trend;

pub use aggregate::{AggregateColumns, StratumRates, rates_from_aggregate_csv};
pub use cohort::{
    AgeUnit, CohortColumns, CohortRecord, StratumSurvival, cohort_incidence,
    cohort_prevalence, cohort_survival, read_cohort_csv,
};
pub use error::{Error, ErrorKind};
pub use geography::{REGIONS, region_name, region_of_departement};
pub use icss::{
    ICSS_AGE_GROUPS, IcssStandard, StandardisedSurvival,
    age_standardised_survival, icss_age_group,
};
pub use indirect::{StandardisedRatio, expected_cases, standardised_ratio};
pub use life_table::{LifeTable, YearExtrapolation, epoch_day};
pub use net_survival::{
    CohortPatient, RelativeSurvivalMethod, relative_survival,
};
pub use period::{AnalysisWindow, DelayedFollowUp, kaplan_meier_delayed};
pub use person_time::{AgeSplit, split_by_age};
pub use prevalence::{Prevalence, PrevalencePerson, count_prevalence};
pub use publication::{
    IncidenceSuppression, PrevalenceRow, published_incidence_csv,
    published_prevalence_csv, published_rates_csv,
};
pub use rates::{
    Estimate, IntervalMethod, StandardisedRate, age_specific_rates,
    age_standardised_rate, crude_rate, cumulative_rate_0_74,
    cumulative_risk_0_74, truncated_rate_35_64,
};
pub use standard::{AGE_BANDS, StandardPopulation, age_band_index};
pub use strata::{
    Dimension, Event, NotEstimable, PopulationCell, RatesByStratum,
    rates_by_dimensions,
};
pub use suppression::{
    CellStatus, DEFAULT_SMALL_CELL_THRESHOLD, DEFAULT_UNRELIABLE_RATE_CASES,
    SuppressedCell, SuppressedTable, TOTAL, rate_is_unreliable,
    reduce_to_echelon, suppress_counts, suppress_counts_with_unpublished,
};
pub use survival::{
    FollowUp, IntervalScale, SurvivalAt, SurvivalCurve, SurvivalStep,
    YEAR_DAYS, follow_up_days, kaplan_meier,
};
pub use survival_table::{SurvivalMethod, SurvivalRow, survival_at_times};
pub use table::{
    ALL_SITES, Cell, IncidenceRow, TABLE_CONFIDENCE, age_band_column,
    incidence_schema, incidence_table, incidence_to_batch, incidence_to_csv,
};
pub use trend::{
    JoinpointFit, JoinpointOptions, Segment, Trend, annual_percent_change,
    joinpoint_regression,
};

//! Incidence statistics of a population-based cancer registry.
//!
//! The crate computes, from counts of tumours and person-years at risk, the
//! rates that registry reports publish. These are the crude rate with its
//! exact Poisson interval ([`crude_rate`]) and age-specific rates
//! ([`age_specific_rates`]). Directly age-standardised rates with gamma
//! intervals ([`age_standardised_rate`], [`StandardisedRate`],
//! [`IntervalMethod`]) use a [`StandardPopulation`]. The IARC cumulative
//! rate and risk 0-74 complete the set. [`incidence_table`] assembles these into
//! one [`IncidenceRow`] per site group and sex, which converts to an Arrow
//! record batch or CSV. The crate does no I/O.
//!
//! # Example
//!
//! ```
//! use rnc_stats::crude_rate;
//!
//! // 10 cases in 100 000 person-years; R `poisson.test(10)` gives the
//! // limits 4.795389 and 18.390356 per 100 000.
//! let rate = crude_rate(10.0, 100_000.0, 0.95).unwrap();
//! assert_eq!(rate.value, 10.0);
//! assert!((rate.lower - 4.795389).abs() < 1e-6);
//! assert!((rate.upper - 18.390356).abs() < 1e-6);
//! ```

#![deny(missing_docs)]

mod error;
mod rates;
mod standard;
mod table;

pub use error::{Error, ErrorKind};
pub use rates::{
    Estimate, IntervalMethod, StandardisedRate, age_specific_rates,
    age_standardised_rate, crude_rate, cumulative_rate_0_74,
    cumulative_risk_0_74, truncated_rate_35_64,
};
pub use standard::{AGE_BANDS, StandardPopulation, age_band_index};
pub use table::{
    ALL_SITES, Cell, IncidenceRow, TABLE_CONFIDENCE, age_band_column,
    incidence_schema, incidence_table, incidence_to_batch, incidence_to_csv,
};

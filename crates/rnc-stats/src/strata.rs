//! Rates of a registry's events (tumours or cancer deaths) by any
//! combination of site group, sex, age band, year, département and region,
//! over a population table of the same dimensions.

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::{StratumSums, stratum_rates};
use crate::standard::AGE_BANDS;
use crate::{
    Error, ErrorKind, StandardPopulation, StratumRates, age_band_index,
    region_of_departement,
};

/// A dimension by which rates are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Site group of the French national estimates (tumours) or of the
    /// underlying cause (deaths).
    SiteGroup,
    /// Sex label, as in the population table.
    Sex,
    /// Five-year age band; the rates of such a stratum are age-specific
    /// rates, so no standardised rate is given.
    AgeBand,
    /// Calendar year of incidence or of death.
    Year,
    /// INSEE département of residence.
    Departement,
    /// Region of the département of residence (INSEE code).
    Region,
}

impl Dimension {
    /// Parses a dimension name: `site_group`, `sex`, `age_band`, `year`,
    /// `departement` or `region`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unsupported`] for any other name.
    pub fn parse(name: &str) -> Result<Dimension, Error> {
        Ok(match name {
            "site_group" => Dimension::SiteGroup,
            "sex" => Dimension::Sex,
            "age_band" => Dimension::AgeBand,
            "year" => Dimension::Year,
            "departement" => Dimension::Departement,
            "region" => Dimension::Region,
            other => {
                return Err(ErrorKind::Unsupported {
                    what: format!(
                        "rates by {other:?}: expected site_group, sex, age_band, year, departement or region"
                    ),
                }
                .into());
            }
        })
    }

    /// Returns the name of the dimension, as [`Dimension::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::SiteGroup => "site_group",
            Dimension::Sex => "sex",
            Dimension::AgeBand => "age_band",
            Dimension::Year => "year",
            Dimension::Departement => "departement",
            Dimension::Region => "region",
        }
    }
}

/// A tumour or a death counted in the rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Site group code.
    pub site_group: String,
    /// Sex label.
    pub sex: String,
    /// Age in completed years at incidence or death.
    pub age: u16,
    /// Calendar year of incidence or death.
    pub year: i32,
    /// INSEE département of residence, if known.
    pub departement: Option<String>,
}

/// Person-years of one cell of a population table.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationCell {
    /// Calendar year.
    pub year: i32,
    /// Sex label.
    pub sex: String,
    /// Index of the five-year band in [`AGE_BANDS`].
    pub age_band: usize,
    /// INSEE département, if the table is by département.
    pub departement: Option<String>,
    /// Person-years (mid-year population for one year).
    pub person_years: f64,
}

/// Rates by stratum and the events left out of them.
#[derive(Debug, Clone, PartialEq)]
pub struct RatesByStratum {
    /// One row per stratum, in byte order of the stratum values.
    pub rows: Vec<StratumRates>,
    /// Strata whose rates cannot be computed, such as cases in an age band
    /// without person-years (a residence that the population table does
    /// not cover), in byte order of the stratum values.
    pub not_estimable: Vec<NotEstimable>,
    /// Events left out because the stratum needs their département and
    /// it is unknown, or is outside the INSEE list (such as 99, abroad).
    pub unknown_residence: u64,
}

/// A stratum with events whose rates cannot be computed.
#[derive(Debug, Clone, PartialEq)]
pub struct NotEstimable {
    /// Values of the stratum.
    pub stratum: Vec<String>,
    /// Events of the stratum.
    pub cases: f64,
    /// The error that prevented the rates.
    pub reason: String,
}

/// Computes crude, age-standardised and truncated rates and the
/// cumulative risk of `events` over `population`, by the dimensions `by`.
///
/// Person-years do not depend on the site group, so every site group
/// present in `events` gets the population of its other dimensions, and a
/// stratum with person-years but no event gets a rate of 0. A stratum
/// with events but no person-years is an error. With [`Dimension::AgeBand`]
/// among `by`, each stratum is one band and only its crude (age-specific)
/// rate is given. A stratum whose rates fail, such as one with events in
/// an age band without person-years, is returned in
/// [`RatesByStratum::not_estimable`] so that one odd cell does not stop
/// the table.
///
/// # Errors
///
/// [`ErrorKind::Unsupported`] for a standard not on the 18 five-year bands
/// or a dimension given twice, [`ErrorKind::UnknownDepartement`] for a
/// population cell whose département is outside the INSEE list when the
/// region is a dimension.
pub fn rates_by_dimensions(
    events: &[Event],
    population: &[PopulationCell],
    by: &[Dimension],
    standard: &StandardPopulation,
    confidence: f64,
) -> Result<RatesByStratum, Error> {
    let weights = standard.weights();
    if weights.len() != AGE_BANDS.len() {
        return Err(ErrorKind::Unsupported {
            what: format!(
                "registry rates with the standard {}: its {} age groups are not the 18 five-year bands",
                standard.label(),
                weights.len()
            ),
        }
        .into());
    }
    let distinct: BTreeSet<&str> = by.iter().map(|d| d.name()).collect();
    if distinct.len() != by.len() {
        return Err(ErrorKind::Unsupported {
            what: "rates by a dimension given twice".to_owned(),
        }
        .into());
    }
    let needs_residence = by
        .iter()
        .any(|d| matches!(d, Dimension::Departement | Dimension::Region));
    let bands = AGE_BANDS.len();

    let mut sums: StratumSums = BTreeMap::new();
    let mut site_groups: BTreeSet<&str> = BTreeSet::new();
    let mut unknown_residence = 0;
    for event in events {
        let band = age_band_index(event.age);
        let values = Values {
            site_group: &event.site_group,
            sex: &event.sex,
            band,
            year: event.year,
            departement: event.departement.as_deref(),
        };
        let Ok(stratum) = values.stratum(by) else {
            unknown_residence += 1;
            continue;
        };
        site_groups.insert(&event.site_group);
        let entry = sums
            .entry(stratum)
            .or_insert_with(|| (vec![0.0; bands], vec![0.0; bands]));
        entry.0[band] += 1.0;
    }
    if !by.contains(&Dimension::SiteGroup) {
        site_groups = BTreeSet::from([""]);
    }

    for cell in population {
        if needs_residence && cell.departement.is_none() {
            continue;
        }
        for site_group in &site_groups {
            let values = Values {
                site_group,
                sex: &cell.sex,
                band: cell.age_band,
                year: cell.year,
                departement: cell.departement.as_deref(),
            };
            let stratum = values.stratum(by)?;
            let entry = sums
                .entry(stratum)
                .or_insert_with(|| (vec![0.0; bands], vec![0.0; bands]));
            entry.1[cell.age_band] += cell.person_years;
        }
    }

    let standardise = !by.contains(&Dimension::AgeBand);
    let mut rows = Vec::with_capacity(sums.len());
    let mut not_estimable = Vec::new();
    for (stratum, (cases, person_years)) in sums {
        match stratum_rates(
            &cases,
            &person_years,
            &weights,
            standardise,
            confidence,
        ) {
            Ok(rates) => rows.push(StratumRates { stratum, ..rates }),
            Err(error) => not_estimable.push(NotEstimable {
                stratum,
                cases: cases.iter().sum(),
                reason: error.to_string(),
            }),
        }
    }
    Ok(RatesByStratum {
        rows,
        not_estimable,
        unknown_residence,
    })
}

/// The dimension values of one event or population cell.
struct Values<'a> {
    site_group: &'a str,
    sex: &'a str,
    band: usize,
    year: i32,
    departement: Option<&'a str>,
}

impl Values<'_> {
    /// Returns the stratum key, or an error when a residence dimension is
    /// asked for and the département is missing or unknown.
    fn stratum(&self, by: &[Dimension]) -> Result<Vec<String>, Error> {
        let residence = || {
            self.departement.ok_or_else(|| -> Error {
                ErrorKind::UnknownDepartement(String::new()).into()
            })
        };
        by.iter()
            .map(|dimension| {
                Ok(match dimension {
                    Dimension::SiteGroup => self.site_group.to_owned(),
                    Dimension::Sex => self.sex.to_owned(),
                    Dimension::AgeBand => AGE_BANDS[self.band].to_owned(),
                    Dimension::Year => self.year.to_string(),
                    Dimension::Departement => {
                        let code = residence()?;
                        region_of_departement(code)?;
                        code.to_owned()
                    }
                    Dimension::Region => {
                        region_of_departement(residence()?)?.to_owned()
                    }
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(site: &str, sex: &str, age: u16, departement: &str) -> Event {
        Event {
            site_group: site.to_owned(),
            sex: sex.to_owned(),
            age,
            year: 2020,
            departement: Some(departement.to_owned()),
        }
    }

    fn cell(
        sex: &str,
        band: usize,
        departement: &str,
        py: f64,
    ) -> PopulationCell {
        PopulationCell {
            year: 2020,
            sex: sex.to_owned(),
            age_band: band,
            departement: Some(departement.to_owned()),
            person_years: py,
        }
    }

    /// Rates of `events` over [`population`] with the world standard.
    fn world_rates(
        events: &[Event],
        by: &[Dimension],
    ) -> Result<RatesByStratum, Error> {
        rates_by_dimensions(
            events,
            &population(),
            by,
            &StandardPopulation::WorldSegi1960,
            0.95,
        )
    }

    /// Two départements of region 84 (Auvergne-Rhône-Alpes: 69 and 38)
    /// and one of region 93 (13), women aged 60-64 (band 12) only.
    fn population() -> Vec<PopulationCell> {
        vec![
            cell("female", 12, "69", 100_000.0),
            cell("female", 12, "38", 50_000.0),
            cell("female", 12, "13", 200_000.0),
        ]
    }

    #[test]
    fn region_sums_its_departements() {
        // Hand computation: region 84 has 3 + 6 = 9 cases in 150 000
        // person-years, 6 per 100 000; region 93 has 4 in 200 000, 2 per
        // 100 000.
        let mut events = Vec::new();
        events.extend((0..3).map(|_| event("breast", "female", 62, "69")));
        events.extend((0..6).map(|_| event("breast", "female", 61, "38")));
        events.extend((0..4).map(|_| event("breast", "female", 60, "13")));
        let by = [Dimension::SiteGroup, Dimension::Region];
        let rates = world_rates(&events, &by).unwrap();
        assert_eq!(rates.rows.len(), 2);
        assert_eq!(rates.rows[0].stratum, ["breast", "84"]);
        assert_eq!(rates.rows[0].cases, 9.0);
        assert!((rates.rows[0].crude.value - 6.0).abs() < 1e-12);
        assert_eq!(rates.rows[1].stratum, ["breast", "93"]);
        assert!((rates.rows[1].crude.value - 2.0).abs() < 1e-12);
        assert_eq!(rates.unknown_residence, 0);
    }

    #[test]
    fn stratum_without_events_has_rate_zero() {
        let events = vec![event("lung", "female", 63, "69")];
        let by = [Dimension::SiteGroup, Dimension::Departement];
        let rates = world_rates(&events, &by).unwrap();
        let strata: Vec<&[String]> =
            rates.rows.iter().map(|r| r.stratum.as_slice()).collect();
        assert_eq!(strata, [["lung", "13"], ["lung", "38"], ["lung", "69"]]);
        assert_eq!(rates.rows[0].cases, 0.0);
        assert_eq!(rates.rows[0].crude.value, 0.0);
    }

    #[test]
    fn age_band_strata_are_not_standardised() {
        // 3 cases in 350 000 person-years: 0.857142... per 100 000.
        let events = vec![
            event("lung", "female", 60, "69"),
            event("lung", "female", 61, "38"),
            event("lung", "female", 64, "13"),
        ];
        let by = [Dimension::AgeBand];
        let rates = world_rates(&events, &by).unwrap();
        assert_eq!(rates.rows.len(), 1);
        assert_eq!(rates.rows[0].stratum, ["60-64"]);
        assert!((rates.rows[0].crude.value - 300.0 / 350.0).abs() < 1e-12);
        assert!(rates.rows[0].standardised_fay_feuer.is_none());
        assert!(rates.rows[0].cumulative_risk_0_74.is_none());
    }

    #[test]
    fn unknown_residence_is_counted() {
        let mut abroad = event("lung", "female", 60, "99");
        let mut missing = event("lung", "female", 60, "69");
        missing.departement = None;
        abroad.year = 2020;
        let events = vec![abroad, missing, event("lung", "female", 60, "69")];
        let rates = world_rates(&events, &[Dimension::Region]).unwrap();
        assert_eq!(rates.unknown_residence, 2);
        let cases: f64 = rates.rows.iter().map(|r| r.cases).sum();
        assert_eq!(cases, 1.0);
    }

    #[test]
    fn events_without_population_not_estimable() {
        let events = vec![
            event("lung", "male", 60, "69"),
            event("lung", "female", 60, "69"),
        ];
        let rates = world_rates(&events, &[Dimension::Sex]).unwrap();
        assert_eq!(rates.rows.len(), 1);
        assert_eq!(rates.rows[0].stratum, ["female"]);
        assert_eq!(rates.not_estimable.len(), 1);
        let odd = &rates.not_estimable[0];
        assert_eq!(odd.stratum, ["male"]);
        assert_eq!(odd.cases, 1.0);
        assert!(odd.reason.contains("zero person-years"), "{}", odd.reason);
    }

    #[test]
    fn dimension_names_round_trip() {
        for name in [
            "site_group",
            "sex",
            "age_band",
            "year",
            "departement",
            "region",
        ] {
            assert_eq!(Dimension::parse(name).unwrap().name(), name);
        }
        assert!(Dimension::parse("stage").is_err());
    }
}

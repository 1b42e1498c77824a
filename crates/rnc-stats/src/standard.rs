//! Five-year age bands and standard populations for direct standardisation.

use crate::{Error, ErrorKind};

/// Labels of the 18 five-year age bands used by CI5, GLOBOCAN and the
/// French registries, from 0-4 to the open band 85+.
pub const AGE_BANDS: [&str; 18] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39",
    "40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70-74", "75-79",
    "80-84", "85+",
];

/// Returns the index in [`AGE_BANDS`] of the band containing `age` (in
/// completed years); every age of 85 and over falls in the last band.
pub fn age_band_index(age: u16) -> usize {
    usize::from(age / 5).min(AGE_BANDS.len() - 1)
}

/// Segi (1960) world standard as modified by Doll et al. (1966), per 100 000,
/// as listed in Rcan and in popEpi `stdpop18$world`.
const WORLD_SEGI_1960: [f64; 18] = [
    12_000.0, 10_000.0, 9_000.0, 9_000.0, 8_000.0, 8_000.0, 6_000.0, 6_000.0,
    6_000.0, 6_000.0, 5_000.0, 4_000.0, 4_000.0, 3_000.0, 2_000.0, 1_000.0,
    500.0, 500.0,
];

/// European standard population of 1976, per 100 000 (popEpi
/// `stdpop18$europe`).
const EUROPE_1976: [f64; 18] = [
    8_000.0, 7_000.0, 7_000.0, 7_000.0, 7_000.0, 7_000.0, 7_000.0, 7_000.0,
    7_000.0, 7_000.0, 7_000.0, 6_000.0, 5_000.0, 4_000.0, 3_000.0, 2_000.0,
    1_000.0, 1_000.0,
];

/// Revised European standard population of 2013 (Eurostat), per 100 000.
/// Its 85-89, 90-94 and 95+ groups (1 500, 800 and 200) are summed into
/// one 85+ band of 2 500 to fit the 18 bands.
const EUROPE_2013: [f64; 18] = [
    5_000.0, 5_500.0, 5_500.0, 5_500.0, 6_000.0, 6_000.0, 6_500.0, 7_000.0,
    7_000.0, 7_000.0, 7_000.0, 6_500.0, 6_000.0, 5_500.0, 5_000.0, 4_000.0,
    2_500.0, 2_500.0,
];

/// A standard population: the age weights of a direct standardisation.
#[derive(Debug, Clone, PartialEq)]
pub enum StandardPopulation {
    /// Segi 1960 world standard (modified by Doll 1966), used by CI5,
    /// GLOBOCAN and the French national estimates (taux standardisé monde).
    WorldSegi1960,
    /// European standard population of 1976.
    Europe1976,
    /// European standard population of 2013, used by ECIS, with 85+ =
    /// 2 500 collapsed from 85-89, 90-94 and 95+.
    Europe2013,
    /// Any other standard, such as a national census or a study's own
    /// population.
    Custom {
        /// Name shown in tables and reports.
        name: String,
        /// One weight per age group, on any scale because rates are
        /// standardised by the sum of the weights.
        weights: Vec<f64>,
    },
}

impl StandardPopulation {
    /// Returns the weights per age group: 18 five-year bands for the
    /// built-in standards, whatever was given for a custom one.
    pub fn weights(&self) -> Vec<f64> {
        match self {
            StandardPopulation::WorldSegi1960 => WORLD_SEGI_1960.to_vec(),
            StandardPopulation::Europe1976 => EUROPE_1976.to_vec(),
            StandardPopulation::Europe2013 => EUROPE_2013.to_vec(),
            StandardPopulation::Custom { weights, .. } => weights.clone(),
        }
    }

    /// Returns the short name accepted by [`StandardPopulation::parse`]
    /// (`world`, `europe1976`, `europe2013`) or the custom name.
    pub fn name(&self) -> &str {
        match self {
            StandardPopulation::WorldSegi1960 => "world",
            StandardPopulation::Europe1976 => "europe1976",
            StandardPopulation::Europe2013 => "europe2013",
            StandardPopulation::Custom { name, .. } => name,
        }
    }

    /// Returns the name written in reports, with the standard's origin.
    pub fn label(&self) -> &str {
        match self {
            StandardPopulation::WorldSegi1960 => "World (Segi 1960)",
            StandardPopulation::Europe1976 => "European standard 1976",
            StandardPopulation::Europe2013 => "European standard 2013",
            StandardPopulation::Custom { name, .. } => name,
        }
    }

    /// Parses a built-in standard by name, ignoring case and surrounding
    /// spaces: `world` (or `segi`), `europe1976` (or `esp1976`),
    /// `europe2013` (or `esp2013`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownStandardPopulation`] for any other name.
    pub fn parse(name: &str) -> Result<StandardPopulation, Error> {
        match name.trim().to_ascii_lowercase().as_str() {
            "world" | "segi" => Ok(StandardPopulation::WorldSegi1960),
            "europe1976" | "esp1976" => Ok(StandardPopulation::Europe1976),
            "europe2013" | "esp2013" => Ok(StandardPopulation::Europe2013),
            _ => {
                Err(ErrorKind::UnknownStandardPopulation(name.to_owned())
                    .into())
            }
        }
    }
}

impl StandardPopulation {
    /// Reads a custom standard from CSV with the columns `age_group` (a
    /// label) and `weight` (on any scale), one row per age group in the
    /// order of the rates it will weight. Other columns are ignored.
    /// `source_name` names the CSV in errors and becomes the standard's
    /// name.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidStandardPopulation`] for a missing column, a
    /// weight that is not a finite number >= 0, no row, or weights that
    /// sum to 0.
    pub fn from_csv<R: std::io::Read>(
        reader: R,
        source_name: &str,
    ) -> Result<StandardPopulation, Error> {
        let invalid = |line: u64, message: String| -> Error {
            ErrorKind::InvalidStandardPopulation {
                source_name: source_name.to_owned(),
                line,
                message,
            }
            .into()
        };
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(reader);
        let headers = csv
            .headers()
            .map_err(|error| invalid(1, error.to_string()))?
            .clone();
        let column = |name: &str| {
            headers.iter().position(|h| h == name).ok_or_else(|| {
                invalid(
                    1,
                    format!(
                        "column {name} is missing (expected age_group and weight)"
                    ),
                )
            })
        };
        let weight_column = column("weight")?;
        column("age_group")?;

        let mut weights = Vec::new();
        for (row, record) in csv.records().enumerate() {
            let line = row as u64 + 2;
            let record =
                record.map_err(|error| invalid(line, error.to_string()))?;
            let text = record.get(weight_column).unwrap_or("");
            match text.parse::<f64>() {
                Ok(weight) if weight.is_finite() && weight >= 0.0 => {
                    weights.push(weight)
                }
                _ => {
                    return Err(invalid(
                        line,
                        format!(
                            "weight {text:?} is invalid (expected a finite number >= 0)"
                        ),
                    ));
                }
            }
        }
        if weights.iter().sum::<f64>() <= 0.0 {
            return Err(invalid(
                1,
                "no positive weight (expected one row per age group)".into(),
            ));
        }
        Ok(StandardPopulation::Custom {
            name: source_name.to_owned(),
            weights,
        })
    }
}

/// Returns the label of age group `index` among `count` groups: the
/// five-year band label when there are 18 groups, `group 3 of 6` otherwise.
pub(crate) fn age_group_label(index: usize, count: usize) -> String {
    if count == AGE_BANDS.len() {
        AGE_BANDS[index].to_owned()
    } else {
        format!("group {} of {count}", index + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_band_index_edges() {
        assert_eq!(age_band_index(0), 0);
        assert_eq!(age_band_index(4), 0);
        assert_eq!(age_band_index(5), 1);
        assert_eq!(age_band_index(84), 16);
        assert_eq!(age_band_index(85), 17);
        assert_eq!(age_band_index(120), 17);
    }

    #[test]
    fn standards_sum_to_100_000() {
        // Each standard is published per 100 000 (Segi 1960, ESP 1976,
        // ESP 2013 with 85+ collapsed to 2 500).
        for standard in [
            StandardPopulation::WorldSegi1960,
            StandardPopulation::Europe1976,
            StandardPopulation::Europe2013,
        ] {
            let total: f64 = standard.weights().iter().sum();
            assert_eq!(total, 100_000.0, "{}", standard.name());
            assert_eq!(standard.weights().len(), 18, "{}", standard.name());
        }
    }

    #[test]
    fn custom_standard_from_csv() {
        // The Nordic standard of popEpi `stdpop18`, 5 900 ... 1 900 per
        // 100 000, here only its first three groups.
        let text = "age_group,weight\n0-4,5900\n5-9,6600\n10-14, 6200\n";
        let standard =
            StandardPopulation::from_csv(text.as_bytes(), "nordic.csv")
                .unwrap();
        assert_eq!(standard.weights(), vec![5900.0, 6600.0, 6200.0]);
        assert_eq!(standard.name(), "nordic.csv");
    }

    #[test]
    fn custom_standard_errors_name_line() {
        let negative = "age_group,weight\n0-4,10\n5-9,-1\n";
        let error =
            StandardPopulation::from_csv(negative.as_bytes(), "bad.csv")
                .unwrap_err();
        assert!(error.to_string().starts_with("bad.csv: line 3"), "{error}");
        let missing = "age,weight\n0-4,10\n";
        let error = StandardPopulation::from_csv(missing.as_bytes(), "bad.csv")
            .unwrap_err();
        assert!(error.to_string().contains("age_group"), "{error}");
        let empty = "age_group,weight\n";
        assert!(
            StandardPopulation::from_csv(empty.as_bytes(), "empty.csv")
                .is_err()
        );
    }

    #[test]
    fn parse_names_round_trip() {
        for standard in [
            StandardPopulation::WorldSegi1960,
            StandardPopulation::Europe1976,
            StandardPopulation::Europe2013,
        ] {
            assert_eq!(
                StandardPopulation::parse(standard.name()).unwrap(),
                standard
            );
        }
        assert_eq!(
            StandardPopulation::parse(" ESP2013 ").unwrap(),
            StandardPopulation::Europe2013
        );
        assert!(StandardPopulation::parse("nordic").is_err());
    }
}

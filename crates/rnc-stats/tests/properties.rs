//! Properties that any direct standardisation must have, whatever the data.

use proptest::prelude::*;
use rnc_stats::{IntervalMethod, age_standardised_rate, crude_rate};

/// Age groups with 0-500 cases and 1 000-10^6 person-years.
fn groups() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((0u32..500, 1_000u32..1_000_000), 1..20).prop_map(
        |groups| {
            groups
                .into_iter()
                .map(|(cases, person_years)| {
                    (f64::from(cases), f64::from(person_years))
                })
                .collect()
        },
    )
}

fn split(groups: &[(f64, f64)]) -> (Vec<f64>, Vec<f64>) {
    groups.iter().copied().unzip()
}

fn relative_difference(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

proptest! {
    #[test]
    fn all_weight_on_one_band(groups in groups(), pick in any::<prop::sample::Index>()) {
        // With the whole standard in one band, the ASR is that band's rate.
        let (cases, person_years) = split(&groups);
        let band = pick.index(groups.len());
        let mut weights = vec![0.0; groups.len()];
        weights[band] = 1.0;
        let rate = age_standardised_rate(
            &cases, &person_years, &weights, 0.95, IntervalMethod::FayFeuer,
        ).unwrap();
        let expected = cases[band] / person_years[band] * 1e5;
        prop_assert!(relative_difference(rate.rate, expected) < 1e-12,
            "rate {} expected {}", rate.rate, expected);
        prop_assert!(rate.lower <= rate.rate && rate.rate <= rate.upper);
    }

    #[test]
    fn scaling_keeps_rate(groups in groups(), factor in 2u32..50) {
        // Multiplying cases and person-years by the same factor keeps every
        // age-specific rate, so the ASR too; the interval narrows.
        let (cases, person_years) = split(&groups);
        let weights: Vec<f64> = (1..=groups.len()).map(|i| i as f64).collect();
        let k = f64::from(factor);
        let scaled_cases: Vec<f64> = cases.iter().map(|d| d * k).collect();
        let scaled_person_years: Vec<f64> = person_years.iter().map(|n| n * k).collect();
        let base = age_standardised_rate(
            &cases, &person_years, &weights, 0.95, IntervalMethod::FayFeuer,
        ).unwrap();
        let scaled = age_standardised_rate(
            &scaled_cases, &scaled_person_years, &weights, 0.95, IntervalMethod::FayFeuer,
        ).unwrap();
        prop_assert!(relative_difference(base.rate, scaled.rate) < 1e-12);
        prop_assert!(scaled.upper - scaled.lower <= base.upper - base.lower + 1e-9);
    }

    #[test]
    fn own_population_standard_gives_crude(groups in groups()) {
        // Standardising to the study population itself returns the crude
        // rate, because w_i / W = n_i / N.
        let (cases, person_years) = split(&groups);
        let rate = age_standardised_rate(
            &cases, &person_years, &person_years, 0.95, IntervalMethod::Tiwari,
        ).unwrap();
        let crude = crude_rate(cases.iter().sum(), person_years.iter().sum(), 0.95).unwrap();
        prop_assert!(relative_difference(rate.rate, crude.value) < 1e-9);
    }

    #[test]
    fn tiwari_upper_not_above_fay_feuer(groups in groups()) {
        // Tiwari et al. add the mean weight where Fay & Feuer add the
        // maximum, so their upper limit is never higher.
        let (cases, person_years) = split(&groups);
        let weights: Vec<f64> = (1..=groups.len()).map(|i| (i * i) as f64).collect();
        let fay_feuer = age_standardised_rate(
            &cases, &person_years, &weights, 0.95, IntervalMethod::FayFeuer,
        ).unwrap();
        let tiwari = age_standardised_rate(
            &cases, &person_years, &weights, 0.95, IntervalMethod::Tiwari,
        ).unwrap();
        prop_assert!(tiwari.upper <= fay_feuer.upper * (1.0 + 1e-12));
        prop_assert_eq!(tiwari.lower, fay_feuer.lower);
    }
}

//! Comparison of the registry's pathway indicators with a known truth,
//! such as the one `rnc synth` writes.

use chrono::NaiveDate;

use crate::indicators::{delay_statistics, died_after_surgery};
use crate::modality::Modality;
use crate::screening::{DetectionMode, Proportion, detection_sensitivity};
use crate::summary::{TreatmentAct, TreatmentStatus, TumourPathway};

/// The truth about one tumour that the registry matched.
#[derive(Debug, Clone, PartialEq)]
pub struct TrueTumour {
    /// Days from the true incidence date to the true first treatment,
    /// `None` when untreated.
    pub delay_days: Option<i64>,
    /// True first modality (surgery, chemotherapy, radiotherapy).
    pub first_modality: Option<Modality>,
    /// True mode of detection.
    pub detection_mode: Option<DetectionMode>,
    /// True date of the first surgery.
    pub surgery: Option<NaiveDate>,
    /// True date of death.
    pub death: Option<NaiveDate>,
}

/// One registry tumour with its true counterpart and its registry mode of
/// detection (for screened sites).
#[derive(Debug, Clone)]
pub struct MatchedTumour<'a> {
    /// The registry's pathway.
    pub pathway: &'a TumourPathway,
    /// The registry's mode of detection, for a tumour of a screened site.
    pub detection_mode: Option<DetectionMode>,
    /// The truth.
    pub truth: TrueTumour,
}

/// One indicator computed on the registry and on the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    /// Indicator name.
    pub indicator: String,
    /// Value on the registry.
    pub registry: Option<f64>,
    /// Value on the truth.
    pub truth: Option<f64>,
}

impl Deviation {
    /// Registry minus truth, when both exist.
    pub fn difference(&self) -> Option<f64> {
        Some(self.registry? - self.truth?)
    }
}

/// Builds a pathway whose only content is the true delay, so that the
/// same statistics run on the registry and on the truth.
fn true_pathway(pathway: &TumourPathway, truth: &TrueTumour) -> TumourPathway {
    TumourPathway {
        status: if truth.delay_days.is_some() {
            TreatmentStatus::Treated
        } else {
            TreatmentStatus::Untreated
        },
        delay_days: truth.delay_days,
        ..pathway.clone()
    }
}

/// Returns the share of operated tumours followed `days` after surgery
/// whose person died within them.
fn mortality(
    pathways: impl Iterator<Item = TumourPathway>,
    days: i64,
    closing_date: NaiveDate,
) -> Option<f64> {
    let outcomes: Vec<bool> = pathways
        .filter_map(|p| died_after_surgery(&p, days, closing_date))
        .collect();
    share(outcomes.iter().filter(|d| **d).count(), outcomes.len())
}

fn share(numerator: usize, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Compares the registry's indicators with the truth over the matched
/// tumours with a complete incidence date:
///
/// - share treated, median and quartiles of the delay, shares within 30
///   and 60 days, on each side's own first treatment;
/// - per tumour: the share treated on both sides whose delays differ by at
///   most 7 days, and the share whose first modality agrees;
/// - 30- and 90-day post-operative mortality, on each side's own first
///   surgery and death, followed to `closing_date`;
/// - modes of detection: the share of each mode among screened-site
///   tumours, the share of tumours whose mode agrees, and the sensitivity
///   by the detection method.
pub fn compare_with_truth(
    matched: &[MatchedTumour<'_>],
    closing_date: NaiveDate,
) -> Vec<Deviation> {
    let population: Vec<&MatchedTumour> = matched
        .iter()
        .filter(|m| m.pathway.diagnosis.is_some())
        .filter(|m| m.pathway.status != TreatmentStatus::DeathCertificateOnly)
        .collect();
    let registry: Vec<TumourPathway> =
        population.iter().map(|m| m.pathway.clone()).collect();
    let truth: Vec<TumourPathway> = population
        .iter()
        .map(|m| true_pathway(m.pathway, &m.truth))
        .collect();
    let registry_stats = delay_statistics(&registry);
    let truth_stats = delay_statistics(&truth);
    let mut deviations = Vec::new();
    let mut push =
        |indicator: &str, registry: Option<f64>, truth: Option<f64>| {
            deviations.push(Deviation {
                indicator: indicator.to_string(),
                registry,
                truth,
            });
        };
    push(
        "share treated",
        share(registry_stats.treated, registry.len()),
        share(truth_stats.treated, truth.len()),
    );
    push(
        "median delay (days)",
        registry_stats.median,
        truth_stats.median,
    );
    push("first quartile (days)", registry_stats.q1, truth_stats.q1);
    push("third quartile (days)", registry_stats.q3, truth_stats.q3);
    push(
        "within 30 days",
        registry_stats.within_30,
        truth_stats.within_30,
    );
    push(
        "within 60 days",
        registry_stats.within_60,
        truth_stats.within_60,
    );

    let both: Vec<&&MatchedTumour> = population
        .iter()
        .filter(|m| {
            m.pathway.delay_days.is_some() && m.truth.delay_days.is_some()
        })
        .collect();
    let close = both
        .iter()
        .filter(|m| {
            let registry = m.pathway.delay_days.unwrap_or(0).max(0);
            let truth = m.truth.delay_days.unwrap_or(0).max(0);
            (registry - truth).abs() <= 7
        })
        .count();
    push(
        "tumours with delay within 7 days of truth",
        share(close, both.len()),
        Some(1.0),
    );
    let same_modality = both
        .iter()
        .filter(|m| {
            m.pathway.first_treatment.as_ref().map(|t| t.modality)
                == m.truth.first_modality
        })
        .count();
    push(
        "tumours with the true first modality",
        share(same_modality, both.len()),
        Some(1.0),
    );
    let treated_agree = population
        .iter()
        .filter(|m| {
            m.pathway.status.is_treated() == m.truth.delay_days.is_some()
        })
        .count();
    push(
        "tumours with the true treated status",
        share(treated_agree, population.len()),
        Some(1.0),
    );
    for days in [30, 90] {
        let registry = mortality(
            population.iter().map(|m| m.pathway.clone()),
            days,
            closing_date,
        );
        let truth = mortality(
            population.iter().map(|m| TumourPathway {
                surgery: m.truth.surgery.map(|date| TreatmentAct {
                    date,
                    modality: Modality::Surgery,
                    establishment: None,
                }),
                death: m.truth.death,
                ..m.pathway.clone()
            }),
            days,
            closing_date,
        );
        push(
            &format!("{days}-day post-operative mortality"),
            registry,
            truth,
        );
    }

    let screened: Vec<&&MatchedTumour> = population
        .iter()
        .filter(|m| {
            m.detection_mode.is_some() && m.truth.detection_mode.is_some()
        })
        .collect();
    for mode in DetectionMode::ALL {
        let registry = screened
            .iter()
            .filter(|m| m.detection_mode == Some(mode))
            .count();
        let truth = screened
            .iter()
            .filter(|m| m.truth.detection_mode == Some(mode))
            .count();
        push(
            &format!("share {}", mode.label()),
            share(registry, screened.len()),
            share(truth, screened.len()),
        );
    }
    let agree = screened
        .iter()
        .filter(|m| m.detection_mode == m.truth.detection_mode)
        .count();
    push(
        "tumours with the true detection mode",
        share(agree, screened.len()),
        Some(1.0),
    );
    let registry_modes: Vec<DetectionMode> =
        screened.iter().filter_map(|m| m.detection_mode).collect();
    let truth_modes: Vec<DetectionMode> = screened
        .iter()
        .filter_map(|m| m.truth.detection_mode)
        .collect();
    let estimate = |p: Proportion| p.estimate;
    push(
        "sensitivity (detection method)",
        estimate(detection_sensitivity(&registry_modes)),
        estimate(detection_sensitivity(&truth_modes)),
    );
    deviations
}

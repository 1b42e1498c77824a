//! Consolidation of one person's linked source records into tumours:
//! IARC/IACR 2004 multiple-primary rules, ENCR incidence date, and the
//! choice of each tumour item among its records.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use rnc_codes::{
    HistologyGroup, MpSite, histology_group, icdo3_to_icd10,
    multiple_primary_site, site_group, unspecified_part,
};
use rnc_model::{
    BasisOfDiagnosis, Behaviour, Laterality, Morphology, PartialDate, Sex,
    SourceKind, SourceRecord, Stage, TnmBasis, Topography, Tumour,
};

use crate::candidate::Candidate;

/// The tumours of one person and the tumour each of their records
/// belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Consolidation {
    /// Tumours, numbered `{person_id}-T1`, `-T2`, … in incidence order.
    pub tumours: Vec<Tumour>,
    /// Every input record id with the id of its tumour, or `None` when the
    /// record belongs to no counted tumour; sorted by record id.
    pub record_tumour: Vec<(String, Option<String>)>,
}

/// Months after the earliest event within which a higher-priority event
/// replaces it as the incidence date (ENCR recommendation on the date of
/// incidence, 1997, kept in the 2022 revision).
const HIERARCHY_WINDOW_MONTHS: u32 = 3;

/// A tumour being built: its member candidates and the histology that
/// represents it in the multiple-primary comparison.
struct Group<'a> {
    site: MpSite,
    /// Whether a member states the site (see [`site_not_stated`]).
    site_stated: bool,
    members: Vec<Candidate<'a>>,
    best: usize,
}

impl Group<'_> {
    fn histology(&self) -> u16 {
        self.members[self.best].morphology.histology()
    }
}

/// Consolidates the linked records of one person into tumours.
///
/// 1. Each record becomes a candidate tumour (see the crate docs for how
///    each source kind is read). Records that describe no primary tumour
///    are attached to the person's tumour when there is exactly one.
/// 2. Candidates are sorted by date (then record id) and grouped with the
///    IARC/IACR 2004 rules in the imsweb `IarcUtils` decision order. Only
///    behaviour /3 is counted, plus bladder /1 and /2 (ENCR); other
///    candidates attach to no tumour.
/// 3. Each group gets its incidence date (ENCR hierarchy with the
///    three-month rule), basis, topography, morphology, ICD-10 and site
///    group.
///
/// Records that share an id (one sent again in a later file) count once,
/// as the copy of the latest batch. The result does not depend on the
/// order of `records`.
pub fn consolidate_person(
    person_id: &str,
    records: &[&SourceRecord],
) -> Consolidation {
    // A source that sends a record again in a later file keeps its id, so
    // the copy from the latest batch (batch ids grow with each load)
    // replaces the earlier ones, as a corrected resubmission would.
    let mut sorted: Vec<&SourceRecord> = records.to_vec();
    sorted.sort_by(|a, b| {
        (&a.record_id, Reverse(&a.batch_id))
            .cmp(&(&b.record_id, Reverse(&b.batch_id)))
    });
    sorted.dedup_by(|later, kept| later.record_id == kept.record_id);

    let mut countable = Vec::new();
    let mut not_counted: Vec<&SourceRecord> = Vec::new();
    let mut without_tumour: Vec<&SourceRecord> = Vec::new();
    for record in &sorted {
        match Candidate::from_record(record) {
            Some(candidate) if candidate.is_countable() => {
                countable.push(candidate)
            }
            Some(_) => not_counted.push(record),
            None => without_tumour.push(record),
        }
    }

    // imsweb `IarcUtils` order: by diagnosis date, unknown dates last.
    countable.sort_by(|a, b| {
        (a.date.is_none(), a.date, &a.record.record_id).cmp(&(
            b.date.is_none(),
            b.date,
            &b.record.record_id,
        ))
    });
    let groups = group_candidates(countable);

    let sex = person_sex(&sorted);
    let mut tumours: Vec<Tumour> = groups
        .iter()
        .filter_map(|group| build_tumour(person_id, sex, group))
        .collect();
    // Tumours of unknown incidence date come last, as in the grouping.
    tumours.sort_by(|a, b| {
        (a.incidence_date.is_none(), a.incidence_date, &a.record_ids).cmp(&(
            b.incidence_date.is_none(),
            b.incidence_date,
            &b.record_ids,
        ))
    });
    for (index, tumour) in tumours.iter_mut().enumerate() {
        tumour.tumour_id = format!("{person_id}-T{}", index + 1);
    }

    // Records without a primary code belong to the person's only tumour.
    // With several tumours the record does not show which one it is about.
    if let [only] = tumours.as_mut_slice() {
        for record in &without_tumour {
            only.record_ids.push(record.record_id.clone());
            if let Some(kind) = record.source_kind {
                only.sources.push(kind);
            }
        }
        only.record_ids.sort();
        only.sources.sort();
        only.sources.dedup();
    }

    let mut record_tumour: Vec<(String, Option<String>)> = sorted
        .iter()
        .map(|record| {
            let tumour = tumours
                .iter()
                .find(|t| t.record_ids.binary_search(&record.record_id).is_ok())
                .map(|t| t.tumour_id.clone());
            (record.record_id.clone(), tumour)
        })
        .collect();
    record_tumour.sort();
    tracing::debug!(
        person_id,
        records = records.len(),
        tumours = tumours.len(),
        not_counted = not_counted.len(),
        "consolidated person"
    );
    Consolidation {
        tumours,
        record_tumour,
    }
}

/// Whether two histologies at two sites are the same primary under the
/// IARC/IACR 2004 rules, in the imsweb `IarcUtils` order: Kaposi sarcoma
/// (rule 4.1), haemato-lymphoid groups 8-14 with group 14 matching any
/// (rule 4.1), else same Table 1 site and same Table 2 group or a NOS
/// group against a specific one (rules 3, 4.2 and 5), with one deviation
/// for group 17 (see [`unspecified_against_haemato_lymphoid`]).
fn same_primary(
    site_a: MpSite,
    histology_a: u16,
    site_b: MpSite,
    histology_b: u16,
) -> bool {
    let group_a = histology_group(histology_a);
    let group_b = histology_group(histology_b);
    if group_a == HistologyGroup::Kaposi && group_b == HistologyGroup::Kaposi {
        return true;
    }
    if group_a.is_haemato_lymphoid() && group_b.is_haemato_lymphoid() {
        return group_a == group_b
            || group_a == HistologyGroup::HaematoLymphoidNos
            || group_b == HistologyGroup::HaematoLymphoidNos;
    }
    if site_a != site_b {
        return false;
    }
    // imsweb compares the histology codes of codes outside Table 2.
    let same_group = if group_a == HistologyGroup::Unclassified {
        histology_a == histology_b
    } else {
        group_a == group_b
    };
    same_group
        || group_a.is_nos_for(group_b)
        || group_b.is_nos_for(group_a)
        || unspecified_against_haemato_lymphoid(group_a, group_b)
}

/// Whether one group is 17 (unspecified, 8000-8005) and the other a
/// haemato-lymphoid group 8-14, for two records at the same site.
///
/// DEVIATION: IARC/IACR 2004 rule 5 lets group 17 merge only with groups
/// 1-7, 15 and 16, and imsweb `IarcUtils` follows it, so a neoplasm NOS
/// at C42.1 (bone marrow) or C77 (lymph nodes) beside a leukaemia or
/// lymphoma at the same site would count as a second primary. A record
/// coded 8000 states no histology at all, so it cannot show a different
/// tumour. Such records are common: a laboratory that codes only "malignant
/// neoplasm", or a registry extract before its review. Across two
/// different sites the rule stays as published.
fn unspecified_against_haemato_lymphoid(
    group_a: HistologyGroup,
    group_b: HistologyGroup,
) -> bool {
    let one_way = |nos: HistologyGroup, other: HistologyGroup| {
        nos == HistologyGroup::Unspecified && other.is_haemato_lymphoid()
    };
    one_way(group_a, group_b) || one_way(group_b, group_a)
}

/// Whether the record states no primary site: its site is C80.9 only
/// because it carries no ICD-O-3 topography, as for a hospital stay coded
/// C45 (mesothelioma, site not given by ICD-10) or a death certificate
/// with C80.
fn site_not_stated(candidate: &Candidate<'_>) -> bool {
    candidate.record.topography.is_none()
        && candidate.topography == Topography::unknown_primary()
}

fn group_candidates(candidates: Vec<Candidate<'_>>) -> Vec<Group<'_>> {
    let mut groups: Vec<Group> = Vec::new();
    for candidate in candidates {
        let site = multiple_primary_site(candidate.topography);
        let histology = candidate.morphology.histology();
        let stated = !site_not_stated(&candidate);
        // DEVIATION: IARC/IACR 2004 rule 3 compares sites, and imsweb
        // `IarcUtils` treats C80.9 as one more site. A record that states
        // no site gives no evidence of a second primary, so it joins a
        // tumour of a compatible histology at any site (and a later
        // record with a stated site joins a tumour known only without
        // one). Without this, a stay coded C45 beside a pleural
        // mesothelioma would count twice.
        let existing = groups.iter_mut().find(|g| {
            same_primary(g.site, g.histology(), site, histology)
                || ((!stated || !g.site_stated)
                    && same_primary(site, g.histology(), site, histology))
        });
        match existing {
            Some(group) => {
                if stated && !group.site_stated {
                    group.site = site;
                    group.site_stated = true;
                }
                group.members.push(candidate);
                let last = group.members.len() - 1;
                if morphology_key(&group.members[last])
                    > morphology_key(&group.members[group.best])
                {
                    group.best = last;
                }
            }
            None => groups.push(Group {
                site,
                site_stated: stated,
                members: vec![candidate],
                best: 0,
            }),
        }
    }
    groups
}

/// Specificity of a histology group for rule 5: unspecified (17) below
/// the NOS groups (5, 14), below every specific group.
fn specificity(histology: u16) -> u8 {
    match histology_group(histology) {
        HistologyGroup::Unspecified => 0,
        HistologyGroup::CarcinomaNos | HistologyGroup::HaematoLymphoidNos => 1,
        _ => 2,
    }
}

/// Order in which a member's morphology is preferred: specific over NOS
/// (IARC rule 5), then registry over pathology over hospital over death,
/// then the higher code within a group (imsweb `IarcUtils`), then a coded
/// grade, then the record id so that the choice is deterministic.
fn morphology_key<'a>(
    candidate: &Candidate<'a>,
) -> (u8, u8, u16, bool, Reverse<&'a str>) {
    let morphology = candidate.morphology;
    (
        specificity(morphology.histology()),
        candidate.source_rank(),
        morphology.histology(),
        morphology.grade().is_some(),
        Reverse(candidate.record.record_id.as_str()),
    )
}

fn build_tumour(
    person_id: &str,
    sex: Sex,
    group: &Group<'_>,
) -> Option<Tumour> {
    let members = &group.members;
    let death_only = members.iter().all(|m| m.kind == SourceKind::DeathRecord);
    // A member with a known date gives the incidence date. When every
    // member's date is unknown, the tumour is still counted, with an
    // unknown incidence date; the check `unknown_incidence_date` flags it.
    let chosen = incidence_event(members);
    let incidence_date = chosen.and_then(|m| m.date);

    let best = &members[group.best];
    let behaviour = if members
        .iter()
        .any(|m| m.morphology.behaviour() == Behaviour::Malignant)
    {
        Behaviour::Malignant
    } else {
        best.morphology.behaviour()
    };
    let morphology = Morphology::new(
        best.morphology.histology(),
        behaviour,
        best.morphology.grade(),
    )
    .unwrap_or(best.morphology);
    let topography = members
        .iter()
        .max_by_key(|m| {
            let site = m.topography;
            let specific = unspecified_part(site.group()) != Some(site);
            (
                specific,
                m.source_rank(),
                Reverse(m.date),
                Reverse(m.record.record_id.as_str()),
            )
        })
        .map(|m| m.topography)?;

    let basis = if death_only {
        BasisOfDiagnosis::DeathCertificateOnly
    } else {
        members
            .iter()
            .filter_map(|m| m.basis)
            .max_by_key(|b| b.validity_rank())
            .unwrap_or(BasisOfDiagnosis::Unknown)
    };
    let icd10 = icdo3_to_icd10(topography, morphology);
    let site_group =
        icd10.as_ref().map_or("other", |code| site_group(code).code);
    let age_at_incidence = chosen.and_then(|chosen| {
        chosen.record.age_at_event.or_else(|| {
            members
                .iter()
                .filter(|m| m.date == incidence_date)
                .find_map(|m| m.record.age_at_event)
        })
    });
    let departement = members
        .iter()
        .filter(|m| m.record.departement.is_some())
        .min_by_key(|m| {
            let distance = m
                .date
                .zip(incidence_date)
                .map(|(d, incidence)| days_between(d, incidence));
            (
                distance.is_none(),
                distance,
                Reverse(m.date_priority()),
                m.record.record_id.as_str(),
            )
        })
        .and_then(|m| m.record.departement.clone());

    let mut record_ids: Vec<String> =
        members.iter().map(|m| m.record.record_id.clone()).collect();
    record_ids.sort();
    let sources: BTreeSet<SourceKind> =
        members.iter().map(|m| m.kind).collect();
    Some(Tumour {
        tumour_id: String::new(),
        person_id: person_id.to_string(),
        sex,
        topography,
        morphology,
        icd10: icd10.map(|c| c.to_string()).unwrap_or_default(),
        site_group: site_group.to_string(),
        incidence_date,
        age_at_incidence,
        basis_of_diagnosis: basis,
        death_certificate_only: death_only,
        departement,
        record_ids,
        sources: sources.into_iter().collect(),
        laterality: Laterality::combine(
            members.iter().filter_map(|m| m.record.laterality),
        ),
        stage: best_stage(members),
    })
}

/// Chooses the tumour's stage among its records. The record highest in
/// the ENCR incidence-date hierarchy (registry, pathology, hospital,
/// death) wins, then a pathological TNM over a clinical one (UICC TNM 8
/// general rules). Last comes the earliest record, because stage is
/// recorded at diagnosis.
fn best_stage(members: &[Candidate<'_>]) -> Option<Stage> {
    members
        .iter()
        .filter_map(|m| Some((m, m.record.stage.as_ref()?)))
        .filter(|(_, stage)| !stage.is_empty())
        .max_by_key(|(m, stage)| {
            let pathological = stage
                .tnm
                .as_ref()
                .is_some_and(|tnm| tnm.basis == TnmBasis::Pathological);
            (
                m.date_priority(),
                pathological,
                Reverse(m.date.is_none()),
                Reverse(m.date),
                Reverse(m.record.record_id.as_str()),
            )
        })
        .map(|(_, stage)| stage.clone())
}

/// Finds the member whose date is the incidence date, by the ENCR
/// hierarchy: take the earliest event, unless an event of higher priority falls
/// within three months after it, in which case the highest-priority such
/// event (the earliest of them) wins. A registry's own incidence date
/// ranks highest because the registry has already applied the hierarchy
/// with its full file. Partial dates compare by their midpoints.
pub(crate) fn incidence_event<'c, 'a>(
    members: &'c [Candidate<'a>],
) -> Option<&'c Candidate<'a>> {
    let earliest =
        members
            .iter()
            .filter(|m| m.date.is_some())
            .min_by_key(|m| {
                (
                    m.date,
                    Reverse(m.date_priority()),
                    m.record.record_id.as_str(),
                )
            })?;
    let start = earliest.date?.midpoint();
    let end = start
        .checked_add_months(chrono::Months::new(HIERARCHY_WINDOW_MONTHS))?;
    members
        .iter()
        .filter(|m| {
            m.date
                .is_some_and(|d| (start..=end).contains(&d.midpoint()))
        })
        .filter(|m| m.date_priority() > earliest.date_priority())
        .min_by_key(|m| {
            (
                Reverse(m.date_priority()),
                m.date,
                m.record.record_id.as_str(),
            )
        })
        .or(Some(earliest))
}

fn days_between(a: PartialDate, b: PartialDate) -> i64 {
    (a.midpoint() - b.midpoint()).num_days().abs()
}

/// Chooses the person's sex: the sex most of their records state. A tie
/// goes to the records of the highest-ranked source (registry, pathology,
/// hospital, death).
fn person_sex(records: &[&SourceRecord]) -> Sex {
    let count =
        |sex: Sex| records.iter().filter(|r| r.sex == Some(sex)).count();
    let (male, female) = (count(Sex::Male), count(Sex::Female));
    if male != female {
        return if male > female {
            Sex::Male
        } else {
            Sex::Female
        };
    }
    for kind in SourceKind::ALL {
        let mut stated: Vec<Sex> = records
            .iter()
            .filter(|r| r.source_kind == Some(kind))
            .filter_map(|r| r.sex)
            .filter(|s| *s != Sex::Unknown)
            .collect();
        stated.sort();
        stated.dedup();
        if let [only] = stated.as_slice() {
            return *only;
        }
    }
    Sex::Unknown
}

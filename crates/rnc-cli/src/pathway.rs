//! `rnc pathway`: one tumour's timeline, or the care-pathway and
//! screening indicator tables of a release (domain logic in
//! `rnc-pathway`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, UInt16Type};
use chrono::{Duration, NaiveDate};
use rnc_model::tables::batch_to_source_records;
use rnc_model::{PartialDate, ScreeningProgramme, SourceKind, Tumour};
use rnc_pathway::attribution::{attribute, site_group_programme};
use rnc_pathway::indicators::{
    cross_table, delay_table, high_volume_table, label_table,
    postoperative_table,
};
use rnc_pathway::input::{age_band, full_date};
use rnc_pathway::screening::{
    Detection, DetectionMode, ScreenedPerson, ScreeningEvent,
    ScreeningSettings, TargetPopulation, classify_detection,
    detection_sensitivity, participation_table, target_bands,
};
use rnc_pathway::table::{Table, Values};
use rnc_pathway::{
    Event, LinkedRecord, PathwaySettings, PublicationRules, TumourPathway,
    build_timeline, summarise_pathway,
};
use rnc_store::Registry;
use rnc_store::parquet_io::{
    read_parquet, stream_parquet, stream_parquet_columns, write_parquet,
};

use crate::cli::PathwayArgs;
use crate::commands::Outcome;
use crate::pipeline::choose_release;

mod report;
mod survival;
mod truth;

pub(crate) use report::report_section;

/// Hash map keyed by record or person id, looked up once per record.
/// foldhash is faster than the default SipHash, and it needs no key
/// against crafted input because rnc wrote these ids itself. Nothing
/// iterates these maps.
type IdMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Hash set of person ids, hashed as [`IdMap`] for the same reasons.
type IdSet<K> = HashSet<K, foldhash::fast::FixedState>;

/// Everything the pathway analyses read from one release.
pub(crate) struct ReleaseData {
    /// Tumours in person and incidence order.
    pub tumours: Vec<Tumour>,
    /// Source records of the persons with a tumour, and every screening
    /// test, with their person and tumour.
    pub records: Vec<LinkedRecord>,
    /// Death date of each person who died, when complete.
    pub deaths: HashMap<String, NaiveDate>,
    /// Population table of the release.
    pub population: Vec<RecordBatch>,
    /// Latest complete event date of the release's records.
    pub last_event: Option<NaiveDate>,
}

/// The pathway of every tumour and the mode of detection of those of a
/// screened site.
pub(crate) struct Analysis {
    /// Pathways, in the order of [`ReleaseData::tumours`].
    pub pathways: Vec<TumourPathway>,
    /// Mode of detection by tumour index, for screened sites.
    pub detections: HashMap<usize, Detection>,
    /// Screening tests with their person, for participation.
    pub screened: Vec<ScreenedPerson>,
}

/// Runs `rnc pathway`.
pub fn pathway(
    registry_dir: &Path,
    args: &PathwayArgs,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let registry = Registry::open(registry_dir)?;
    let release = choose_release(&registry, args.release.as_deref())?;
    let release_dir = registry.release_dir(&release.release_id);
    let data = read_release(&release_dir)?;
    let settings = PathwaySettings::default();

    if let Some(tumour_id) = &args.tumour {
        print_timeline(&data, tumour_id, &settings)?;
        return Ok(Outcome::Clean);
    }

    let screening_settings = screening_settings(&args.interval_months)?;
    let ages = read_screening_ages(&registry)?;
    let analysis = analyse(&data, &settings, &screening_settings, &ages);
    let closing_date = match &args.closing_date {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| {
            format!("--closing-date {text:?} is not a date (expected YYYY-MM-DD)")
        })?,
        None => data
            .last_event
            .context("the release has no complete event date: give --closing-date")?,
    };
    let rules = PublicationRules {
        small_cell_threshold: args.small_cell_threshold,
        ..PublicationRules::default()
    };
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&registry, &release.release_id));
    if let Some(out) = &args.out {
        crate::pipeline::check_output_path(out, Some(registry_dir), None, &[])?;
    }
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("creating {}", out_dir.display()))?;

    let tables = build_tables(
        &data,
        &analysis,
        &screening_settings,
        closing_date,
        args,
        &rules,
    )?;
    for (name, table) in &tables {
        write_table(&out_dir, name, table)?;
    }

    let treated = analysis
        .pathways
        .iter()
        .filter(|p| p.status.is_treated())
        .count();
    println!(
        "closing date {closing_date}, high-volume threshold {} first surgeries of a site group a year, small-cell threshold {}",
        args.high_volume_threshold, rules.small_cell_threshold
    );
    if let Some(truth_dir) = &args.truth {
        let deviations =
            truth::compare(truth_dir, &data, &analysis, closing_date)?;
        truth::print(&deviations);
    }
    println!(
        "pathway: {} tumours, {treated} treated, {} of a screened site, {} tables written to {} in {:.1} s",
        analysis.pathways.len(),
        analysis.detections.len(),
        tables.len(),
        out_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Clean)
}

/// Reads the tumours, source records, deaths and population of a release.
pub(crate) fn read_release(release_dir: &Path) -> anyhow::Result<ReleaseData> {
    let mut tumours = Vec::new();
    for batch in read_parquet(&release_dir.join("tumours.parquet"))? {
        tumours.extend(rnc_rules::batch_to_tumours(&batch).context("tumours")?);
    }
    tumours.sort_by(|a, b| {
        // A tumour of unknown incidence date sorts after the person's
        // dated tumours.
        let key = |t: &rnc_rules::Tumour| {
            (
                t.incidence_date.is_none(),
                t.incidence_date.map(|d| d.midpoint()),
            )
        };
        (&a.person_id, key(a), &a.tumour_id).cmp(&(
            &b.person_id,
            key(b),
            &b.tumour_id,
        ))
    });

    // The analyses read the records of persons with a tumour and the
    // screening tests of everyone. The other records count only towards
    // the latest event date, and are not kept.
    let with_tumour: IdSet<&str> =
        tumours.iter().map(|t| t.person_id.as_str()).collect();
    let path = release_dir.join("source_records.parquet");
    let kept_records = count_kept_records(&path, &with_tumour)?;
    let mut records = Vec::with_capacity(kept_records);
    let mut last_event: Option<NaiveDate> = None;
    for batch in stream_parquet(&path)? {
        let batch = batch?;
        let persons = batch
            .column_by_name("person_id")
            .context("source_records has no person_id column")?
            .as_string::<i32>()
            .clone();
        let tumour_ids = batch
            .column_by_name("tumour_id")
            .context("source_records has no tumour_id column")?
            .as_string::<i32>()
            .clone();
        let parsed =
            batch_to_source_records(&batch).context("source records")?;
        for (i, record) in parsed.into_iter().enumerate() {
            if let Some(date) = full_date(record.event_date.as_ref()) {
                last_event = last_event.max(Some(date));
            }
            if record.screening_programme.is_none()
                && !with_tumour.contains(persons.value(i))
            {
                continue;
            }
            records.push(LinkedRecord {
                record: record.into(),
                person_id: persons.value(i).to_string(),
                tumour_id: (!tumour_ids.is_null(i))
                    .then(|| tumour_ids.value(i).to_string()),
            });
        }
    }

    let mut deaths = HashMap::new();
    for batch in read_parquet(&release_dir.join("persons.parquet"))? {
        let ids = batch
            .column_by_name("person_id")
            .context("persons.person_id")?
            .as_string::<i32>();
        let dates = batch
            .column_by_name("death_date")
            .context("persons.death_date")?
            .as_string::<i32>();
        for i in 0..batch.num_rows() {
            if dates.is_null(i) {
                continue;
            }
            if let Ok(date) = PartialDate::parse_iso(dates.value(i))
                && let Some(day) = date.complete()
            {
                deaths.insert(ids.value(i).to_string(), day);
            }
        }
    }
    let population = read_parquet(&release_dir.join("population.parquet"))?;
    Ok(ReleaseData {
        tumours,
        records,
        deaths,
        population,
        last_event,
    })
}

/// Counts the source records that [`read_release`] keeps: the screening
/// tests and the records of persons with a tumour. A record takes about
/// 300 bytes besides its text, so a vector grown by doubling would take
/// up to twice their memory, and three times while it moves. Only two
/// columns are read.
fn count_kept_records(
    path: &Path,
    with_tumour: &IdSet<&str>,
) -> anyhow::Result<usize> {
    let mut kept = 0;
    for batch in
        stream_parquet_columns(path, &["person_id", "screening_programme"])?
    {
        let batch = batch?;
        let persons = batch
            .column_by_name("person_id")
            .context("source_records has no person_id column")?
            .as_string::<i32>();
        let programmes = batch.column_by_name("screening_programme");
        kept += (0..batch.num_rows())
            .filter(|&i| {
                programmes.is_some_and(|p| p.is_valid(i))
                    || with_tumour.contains(persons.value(i))
            })
            .count();
    }
    Ok(kept)
}

/// Reads the age at the test of every staged screening record. Releases
/// leave age at event out (with event dates it would narrow birth dates
/// down), so participation by age band reads it from the staged batches
/// the release was built from.
pub(crate) fn read_screening_ages(
    registry: &Registry,
) -> anyhow::Result<IdMap<String, u16>> {
    let mut ages = IdMap::default();
    // Only three of the staged columns are decoded, one batch at a time.
    let columns = ["record_id", "source_kind", "age_at_event"];
    for batch in registry.stream_staged_records_columns(&columns)? {
        let batch = batch?;
        let (Some(ids), Some(kinds), Some(age)) = (
            batch.column_by_name("record_id"),
            batch.column_by_name("source_kind"),
            batch.column_by_name("age_at_event"),
        ) else {
            continue;
        };
        let ids = ids.as_string::<i32>();
        let kinds = kinds.as_string::<i32>();
        let age = age.as_primitive::<UInt16Type>();
        for i in 0..batch.num_rows() {
            if kinds.value(i) == SourceKind::Screening.name() && !age.is_null(i)
            {
                ages.insert(ids.value(i).to_string(), age.value(i));
            }
        }
    }
    Ok(ages)
}

/// Groups record indices by person.
fn records_by_person(records: &[LinkedRecord]) -> IdMap<&str, Vec<usize>> {
    let mut by_person: IdMap<&str, Vec<usize>> = IdMap::default();
    for (index, record) in records.iter().enumerate() {
        by_person
            .entry(record.person_id.as_str())
            .or_default()
            .push(index);
    }
    by_person
}

/// Builds the timeline of the tumours of one person: the records
/// attributed to each, and the person's death records for all of them.
fn person_timelines<'a>(
    tumours: &[&'a Tumour],
    records: &[&'a LinkedRecord],
    settings: &PathwaySettings,
) -> Vec<Vec<Event>> {
    let mut attached: Vec<Vec<&LinkedRecord>> = vec![Vec::new(); tumours.len()];
    for record in records {
        if record.record.source_kind == Some(SourceKind::DeathRecord) {
            for list in &mut attached {
                list.push(record);
            }
            continue;
        }
        if let Some(index) =
            attribute(record, tumours, settings.before_diagnosis_days)
        {
            attached[index].push(record);
        }
    }
    tumours
        .iter()
        .zip(&attached)
        .map(|(tumour, records)| build_timeline(tumour, records))
        .collect()
}

/// Computes every tumour's pathway and mode of detection.
pub(crate) fn analyse(
    data: &ReleaseData,
    settings: &PathwaySettings,
    screening: &ScreeningSettings,
    ages: &IdMap<String, u16>,
) -> Analysis {
    let by_person = records_by_person(&data.records);
    let mut tumours_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, tumour) in data.tumours.iter().enumerate() {
        tumours_of
            .entry(tumour.person_id.as_str())
            .or_default()
            .push(index);
    }

    // A screening feed may cover part of the country (the registry areas
    // by default). A tumour of a département without any test of its
    // programme is left out of the detection modes: calling it a
    // non-participant would confuse missing data with non-participation.
    let covered: std::collections::HashSet<(ScreeningProgramme, &str)> = data
        .records
        .iter()
        .filter_map(|r| {
            Some((
                r.record.screening_programme?,
                r.record.departement.as_deref()?,
            ))
        })
        .collect();

    let mut pathways: Vec<Option<TumourPathway>> =
        vec![None; data.tumours.len()];
    let mut detections = HashMap::new();
    for (person, indices) in &tumours_of {
        let tumours: Vec<&Tumour> =
            indices.iter().map(|&i| &data.tumours[i]).collect();
        let records: Vec<&LinkedRecord> = by_person
            .get(person)
            .map(|list| list.iter().map(|&i| &data.records[i]).collect())
            .unwrap_or_default();
        let death = data.deaths.get(*person).copied();
        let timelines = person_timelines(&tumours, &records, settings);
        let tests = screening_events(&records);
        for ((&index, tumour), events) in
            indices.iter().zip(&tumours).zip(&timelines)
        {
            let pathway = summarise_pathway(tumour, events, death, settings);
            if let (Some(programme), Some(diagnosis)) =
                (site_group_programme(&tumour.site_group), pathway.diagnosis)
                && !tumour.death_certificate_only
                && tumour
                    .departement
                    .as_deref()
                    .is_some_and(|d| covered.contains(&(programme, d)))
            {
                let detection = classify_detection(
                    programme,
                    tumour.sex,
                    tumour.age_at_incidence,
                    diagnosis,
                    &tests,
                    screening,
                );
                detections.insert(index, detection);
            }
            pathways[index] = Some(pathway);
        }
    }

    let screened = screened_persons(data, ages);
    Analysis {
        pathways: pathways
            .into_iter()
            .map(|p| p.expect("every tumour has a pathway"))
            .collect(),
        detections,
        screened,
    }
}

/// Collects every screening test with its person, département and age
/// band, for participation.
fn screened_persons(
    data: &ReleaseData,
    ages: &IdMap<String, u16>,
) -> Vec<ScreenedPerson> {
    data.records
        .iter()
        .filter_map(|linked| {
            let record = &linked.record;
            let programme = record.screening_programme?;
            let date = full_date(record.event_date.as_ref())?;
            let age = *ages.get(&record.record_id)?;
            Some(ScreenedPerson {
                person_id: linked.person_id.clone(),
                programme,
                date,
                departement: record.departement.clone()?,
                age_band: age_band(age),
            })
        })
        .collect()
}

/// Collects the screening tests among a person's records.
fn screening_events(records: &[&LinkedRecord]) -> Vec<ScreeningEvent> {
    records
        .iter()
        .filter_map(|linked| {
            let record = &linked.record;
            Some(ScreeningEvent {
                programme: record.screening_programme?,
                test: record.screening_test?,
                date: full_date(record.event_date.as_ref())?,
                result: record.screening_result?,
            })
        })
        .collect()
}

/// Reads `--interval-months test=months,…` over the defaults.
fn screening_settings(pairs: &[String]) -> anyhow::Result<ScreeningSettings> {
    let mut settings = ScreeningSettings::default();
    for pair in pairs {
        let invalid = || {
            anyhow::anyhow!(
                "--interval-months {pair:?} is invalid (expected TEST=MONTHS with TEST one of mammography, FIT, cytology, HPV, such as mammography=24)"
            )
        };
        let (test, months) = pair.split_once('=').ok_or_else(invalid)?;
        let months: u32 = months.trim().parse().map_err(|_| invalid())?;
        let key = settings
            .interval_months
            .keys()
            .find(|k| k.eq_ignore_ascii_case(test.trim()))
            .copied()
            .ok_or_else(invalid)?;
        anyhow::ensure!(
            months > 0,
            "--interval-months {pair:?}: months must be above 0"
        );
        settings.interval_months.insert(key, months);
    }
    Ok(settings)
}

/// Target population of a programme by département and age band: the
/// mean over the years of the round of the population of the programme's
/// sex (women for breast and cervical) and age bands.
pub(crate) fn target_population(
    population: &[RecordBatch],
    programme: ScreeningProgramme,
    years: std::ops::RangeInclusive<i32>,
) -> TargetPopulation {
    let bands = target_bands(programme);
    let women_only = programme != ScreeningProgramme::Colorectal;
    let mut sums: TargetPopulation = HashMap::new();
    let mut seen_years = std::collections::BTreeSet::new();
    for batch in population {
        let (Some(year), Some(sex), Some(band), Some(departement), Some(count)) = (
            batch.column_by_name("year"),
            batch.column_by_name("sex"),
            batch.column_by_name("age_band"),
            batch.column_by_name("departement"),
            batch.column_by_name("population"),
        ) else {
            continue;
        };
        let year =
            arrow::compute::cast(year, &arrow::datatypes::DataType::Int64).ok();
        let count =
            arrow::compute::cast(count, &arrow::datatypes::DataType::Float64)
                .ok();
        let (Some(year), Some(count)) = (year, count) else {
            continue;
        };
        let year = year.as_primitive::<Int64Type>();
        let count = count.as_primitive::<arrow::datatypes::Float64Type>();
        let sex = sex.as_string::<i32>();
        let band = band.as_string::<i32>();
        let departement = departement.as_string::<i32>();
        for i in 0..batch.num_rows() {
            let y = year.value(i) as i32;
            if !years.contains(&y)
                || (women_only && sex.value(i) != "female")
                || !bands.contains(&band.value(i))
            {
                continue;
            }
            seen_years.insert(y);
            *sums
                .entry((
                    departement.value(i).to_string(),
                    band.value(i).to_string(),
                ))
                .or_default() += count.value(i);
        }
    }
    let years = seen_years.len().max(1) as f64;
    for value in sums.values_mut() {
        *value /= years;
    }
    sums
}

/// Builds every indicator table, by file stem.
fn build_tables(
    data: &ReleaseData,
    analysis: &Analysis,
    screening: &ScreeningSettings,
    closing_date: NaiveDate,
    args: &PathwayArgs,
    rules: &PublicationRules,
) -> anyhow::Result<Vec<(&'static str, Table)>> {
    let pathways = &analysis.pathways;
    let mut tables = vec![
        ("pathway_delays", delay_table(pathways, rules)?),
        (
            "pathway_combinations",
            label_table(pathways, "combination", |p| p.combination(), rules)?,
        ),
        (
            "pathway_sequences",
            label_table(pathways, "sequence", |p| p.sequence_label(), rules)?,
        ),
        (
            "pathway_high_volume",
            high_volume_table(pathways, args.high_volume_threshold, rules)?,
        ),
        (
            "pathway_postoperative",
            postoperative_table(pathways, closing_date, rules)?,
        ),
    ];

    let mut detected: Vec<(usize, &Detection)> =
        analysis.detections.iter().map(|(i, d)| (*i, d)).collect();
    detected.sort_by_key(|(i, _)| *i);
    let mode_items = detected
        .iter()
        .map(|(i, d)| {
            (
                vec![pathways[*i].site_group.clone()],
                d.mode.label().to_string(),
            )
        })
        .collect();
    tables.push((
        "screening_detection",
        cross_table(&["site_group"], "detection_mode", mode_items, rules)?,
    ));
    let stage_items = detected
        .iter()
        .map(|(i, d)| {
            (
                vec![
                    pathways[*i].site_group.clone(),
                    d.mode.label().to_string(),
                ],
                pathways[*i].stage.clone(),
            )
        })
        .collect();
    tables.push((
        "screening_stage",
        cross_table(
            &["site_group", "detection_mode"],
            "stage",
            stage_items,
            rules,
        )?,
    ));
    tables.push((
        "screening_sensitivity",
        sensitivity_table(pathways, &detected, rules),
    ));

    let mut participation = Table::default();
    for programme in ScreeningProgramme::ALL {
        let test = match programme {
            ScreeningProgramme::Breast => rnc_model::ScreeningTest::Mammography,
            ScreeningProgramme::Colorectal => rnc_model::ScreeningTest::Fit,
            ScreeningProgramme::Cervical => rnc_model::ScreeningTest::Cytology,
        };
        let interval = screening.interval_days(test);
        let start = closing_date - Duration::days(interval);
        let target = target_population(
            &data.population,
            *programme,
            chrono::Datelike::year(&start)
                ..=chrono::Datelike::year(&closing_date),
        );
        let table = participation_table(
            *programme,
            &analysis.screened,
            &target,
            interval,
            closing_date,
            rules,
        )?;
        participation = participation.append(table);
    }
    tables.push(("screening_participation", participation));

    if let Some(life_table) = &args.life_table {
        tables.push((
            "screening_survival",
            survival::survival_by_mode(
                data,
                analysis,
                life_table,
                closing_date,
                rules.small_cell_threshold as usize,
            )?,
        ));
    }
    Ok(tables)
}

/// Programme sensitivity by the detection method, by site group. A row's
/// counts and estimate are withheld (status `suppressed`) when either
/// count is from 1 to the small-cell threshold minus one, because the
/// estimate and one count would give the other away.
fn sensitivity_table(
    pathways: &[TumourPathway],
    detected: &[(usize, &Detection)],
    rules: &PublicationRules,
) -> Table {
    let mut by_site: BTreeMap<String, Vec<DetectionMode>> = BTreeMap::new();
    for (index, detection) in detected {
        by_site
            .entry(pathways[*index].site_group.clone())
            .or_default()
            .push(detection.mode);
    }
    let small = |n: u64| n > 0 && n < rules.small_cell_threshold;
    let mut columns: (Vec<_>, Vec<_>, Vec<_>, Vec<_>, Vec<_>, Vec<_>, Vec<_>) =
        Default::default();
    for (site, modes) in &by_site {
        let p = detection_sensitivity(modes);
        let interval = p.total - p.events;
        let shown = !small(p.events) && !small(interval);
        let show = |x: Option<f64>| x.filter(|_| shown);
        columns.0.push(Some(site.clone()));
        columns.1.push(shown.then_some(p.events as i64));
        columns.2.push(shown.then_some(interval as i64));
        columns.3.push(show(p.estimate));
        columns.4.push(show(p.lower));
        columns.5.push(show(p.upper));
        columns.6.push(Some(
            if shown { "published" } else { "suppressed" }.to_string(),
        ));
    }
    let mut table = Table::default();
    table.push("site_group", Values::Text(columns.0));
    table.push("screen_detected", Values::Integer(columns.1));
    table.push("interval", Values::Integer(columns.2));
    table.push("sensitivity", Values::Number(columns.3));
    table.push("lower", Values::Number(columns.4));
    table.push("upper", Values::Number(columns.5));
    table.push("status", Values::Text(columns.6));
    table
}

/// Writes a table as `<stem>.csv` and `<stem>.parquet`.
fn write_table(
    out_dir: &Path,
    stem: &str,
    table: &Table,
) -> anyhow::Result<()> {
    let csv_path = out_dir.join(format!("{stem}.csv"));
    std::fs::write(&csv_path, table.to_csv())
        .with_context(|| format!("writing {}", csv_path.display()))?;
    let batch = table.to_record_batch()?;
    let parquet_path = out_dir.join(format!("{stem}.parquet"));
    write_parquet(&parquet_path, batch.schema(), &[batch])
        .with_context(|| format!("writing {}", parquet_path.display()))?;
    Ok(())
}

/// Prints the timeline of one tumour: one line per event with its source.
fn print_timeline(
    data: &ReleaseData,
    tumour_id: &str,
    settings: &PathwaySettings,
) -> anyhow::Result<()> {
    let tumour = data
        .tumours
        .iter()
        .find(|t| t.tumour_id == tumour_id)
        .with_context(|| {
            format!("tumour {tumour_id} is not in the release (tumour ids look like P00000001-T1; list them with rnc sql \"SELECT tumour_id FROM tumours\")")
        })?;
    let tumours: Vec<&Tumour> = data
        .tumours
        .iter()
        .filter(|t| t.person_id == tumour.person_id)
        .collect();
    let records: Vec<&LinkedRecord> = data
        .records
        .iter()
        .filter(|r| r.person_id == tumour.person_id)
        .collect();
    let timelines = person_timelines(&tumours, &records, settings);
    let position = tumours
        .iter()
        .position(|t| t.tumour_id == tumour_id)
        .expect("found above");
    let events = &timelines[position];
    let death = data.deaths.get(&tumour.person_id).copied();
    let pathway = summarise_pathway(tumour, events, death, settings);

    println!(
        "tumour {} (person {}): {} {}, incidence {}, stage {}",
        tumour.tumour_id,
        tumour.person_id,
        tumour.site_group,
        tumour.topography,
        tumour
            .incidence_date
            .map_or_else(|| "unknown".to_string(), |d| d.to_iso()),
        pathway.stage
    );
    println!(
        "{:<10}  {:<20}  {:<26}  {:<11}  source",
        "date", "event", "detail", "establishment"
    );
    for event in events {
        let marker = if event.first_diagnostic_act {
            " (first diagnostic act)"
        } else {
            ""
        };
        println!(
            "{:<10}  {:<20}  {:<26}  {:<11}  {} batch {} {}:{}{marker}",
            event.date.to_iso(),
            event.kind.label(),
            event.detail,
            event.establishment.as_deref().unwrap_or("-"),
            event.source.record_id,
            event.source.batch_id,
            event.source.file,
            event.source.line,
        );
    }
    let delay = pathway
        .delay_days
        .map_or_else(|| "-".to_string(), |d| format!("{d} days"));
    println!(
        "status {}, first treatment {}, delay {delay}, first line {}",
        pathway.status.label(),
        pathway
            .first_treatment
            .as_ref()
            .map_or("-", |t| t.modality.label()),
        pathway.sequence_label()
    );
    println!(
        "timeline: {} events of tumour {}",
        events.len(),
        tumour.tumour_id
    );
    Ok(())
}

/// Output folder when `--out` is absent.
pub fn default_out(registry: &Registry, release_id: &str) -> PathBuf {
    registry
        .root()
        .join("outputs")
        .join(release_id)
        .join("pathway")
}

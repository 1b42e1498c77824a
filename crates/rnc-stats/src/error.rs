//! The error type of the crate.

use std::fmt;

/// An error from a rate computation or from building the incidence table.
///
/// The kind is boxed so that `Result<_, Error>` stays one pointer wide.
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

impl Error {
    /// Returns the kind of failure, for callers that branch on it.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error {
            kind: Box::new(kind),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.kind.source()
    }
}

/// Kind of failure of an [`Error`].
///
/// Every kind except [`ErrorKind::Internal`] and [`ErrorKind::Arrow`] is a
/// data error that the caller can fix by correcting the input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Two inputs that need one value per age group have different lengths.
    #[error(
        "{field}: {found} values but {expected} age groups; give one value per age group"
    )]
    LengthMismatch {
        /// The input whose length is wrong (`person_years`, `weights`, ...).
        field: &'static str,
        /// Number of age groups expected.
        expected: usize,
        /// Number of values given.
        found: usize,
    },

    /// A count, person-time or weight is negative, infinite or NaN.
    #[error(
        "age group {age_group}, field {field}: value {value} is invalid (expected a finite number >= 0)"
    )]
    InvalidValue {
        /// The input holding the value.
        field: &'static str,
        /// Label of the age group (`85+`, or `group 3 of 6` for other
        /// groupings).
        age_group: String,
        /// The value found.
        value: f64,
    },

    /// An age group has cases but no person-years, so its rate is infinite.
    #[error(
        "age group {age_group}: {cases} cases but zero person-years; check the population for this age group"
    )]
    CasesWithoutPersonYears {
        /// Label of the age group.
        age_group: String,
        /// Number of cases in the group.
        cases: f64,
    },

    /// The rate has no person-time at all to be computed from.
    #[error("{what}: no person-years at risk; check the population")]
    NoPersonYears {
        /// The quantity that could not be computed.
        what: &'static str,
    },

    /// A confidence level outside the open interval (0, 1).
    #[error(
        "confidence level {0} is invalid (expected a number between 0 and 1, such as 0.95)"
    )]
    InvalidConfidence(f64),

    /// Standard population weights that sum to zero.
    #[error(
        "standard population weights sum to zero; give at least one positive weight"
    )]
    ZeroWeights,

    /// A standard population name that [`crate::StandardPopulation::parse`]
    /// does not know.
    #[error(
        "standard population {0:?} is unknown (expected world, europe1976 or europe2013)"
    )]
    UnknownStandardPopulation(String),

    /// A cell given to [`crate::suppress_counts`] that does not fit the
    /// cube.
    #[error("small-cell suppression: {0}")]
    InvalidSuppressionInput(String),

    /// A cohort or period window that contains no day.
    #[error(
        "{0} is empty: the end must come after the start (the last year not before the first)"
    )]
    InvalidWindow(String),

    /// A département code outside the INSEE code list.
    #[error(
        "département {0:?} is unknown (expected an INSEE code: 01 to 95, 2A, 2B, 971 to 974 or 976)"
    )]
    UnknownDepartement(String),

    /// A standard population CSV that cannot be read.
    #[error("{source_name}: line {line}: {message}")]
    InvalidStandardPopulation {
        /// Name of the CSV, as given by the caller.
        source_name: String,
        /// Line of the CSV, from 1 (the header).
        line: u64,
        /// The problem and the expected value.
        message: String,
    },

    /// An age band index past the last of the 18 five-year bands.
    #[error(
        "age band index {index} is out of range (expected 0 to 17, 0-4 to 85+)"
    )]
    AgeBandOutOfRange {
        /// The index found.
        index: usize,
    },

    /// A cell uses the site group name reserved for the all-sites row.
    #[error(
        "site group {0:?} is reserved for the row of all sites; rename that site group in the cells"
    )]
    ReservedSiteGroup(String),

    /// A cell carries person-years that differ from the population table.
    #[error(
        "sex {sex}, age group {age_group}: cell person-years {cell} differ from population person-years {population}; leave the cell's person-years at 0 or make them agree"
    )]
    PersonYearsMismatch {
        /// Sex label of the cell.
        sex: String,
        /// Label of the age group.
        age_group: String,
        /// Person-years given in the cell.
        cell: f64,
        /// Person-years given in the population table.
        population: f64,
    },

    /// A failure while computing one row of the incidence table.
    #[error("site group {site_group}, sex {sex}: {inner}")]
    InRow {
        /// Site group of the row.
        site_group: String,
        /// Sex of the row.
        sex: String,
        /// The underlying error.
        inner: Box<Error>,
    },

    /// A failure while computing the rates of one stratum of an
    /// aggregate file.
    #[error("stratum {stratum}: {inner}")]
    InStratum {
        /// Values of the stratum columns, joined by commas.
        stratum: String,
        /// The underlying error.
        inner: Box<Error>,
    },

    /// An aggregate CSV that cannot be read.
    #[error("{source_name}: line {line}: {message}")]
    InvalidAggregate {
        /// Name of the CSV, as given by the caller.
        source_name: String,
        /// Line of the CSV, from 1 (the header).
        line: u64,
        /// The problem and the expected value.
        message: String,
    },

    /// A cohort CSV that cannot be read.
    #[error("{source_name}: line {line}: {message}")]
    InvalidCohort {
        /// Name of the CSV, as given by the caller.
        source_name: String,
        /// Line of the CSV, from 1 (the header).
        line: u64,
        /// The problem and the expected value; never a date's value.
        message: String,
    },

    /// A computation that this crate does not offer for the input given.
    #[error("unsupported: {what}")]
    Unsupported {
        /// What was requested and why it cannot be done.
        what: String,
    },

    /// A follow-up ends before the diagnosis it starts from.
    #[error(
        "follow-up ends {days} days before diagnosis; check the order of the diagnosis and exit dates"
    )]
    NegativeFollowUp {
        /// Length found, in days (negative).
        days: i64,
    },

    /// A patient leaves follow-up on the day of diagnosis, or on or before
    /// the day of entry, so that the patient is never at risk.
    #[error(
        "patient {index}: zero days at risk (exit on the day of diagnosis or of entry); exclude patients diagnosed on the day they died or left (as for death-certificate-only cases), and patients whose exit is not after their entry"
    )]
    ZeroFollowUp {
        /// Position of the patient in the input, from 0.
        index: usize,
    },

    /// A survival or prevalence computation was given no patient.
    #[error("{what}: no patient in the cohort; give at least one")]
    EmptyCohort {
        /// The quantity that could not be computed.
        what: &'static str,
    },

    /// A line of a life-table CSV could not be read.
    #[error("{source_name}: line {line}, field {field}: {message}")]
    InvalidLifeTable {
        /// Name of the CSV (its path, or what the caller calls it).
        source_name: String,
        /// Line of the CSV, from 1 (the header is line 1).
        line: u64,
        /// Column name.
        field: String,
        /// What was expected and what was found.
        message: String,
    },

    /// A life table that does not give a hazard for every sex, age and
    /// year it lists.
    #[error(
        "{source_name}: no hazard for sex {sex}, age {age}, year {year}; give one row for every combination of the listed sexes, ages and years"
    )]
    IncompleteLifeTable {
        /// Name of the CSV.
        source_name: String,
        /// Sex label of the missing cell.
        sex: String,
        /// Age of the missing cell, in completed years.
        age: u32,
        /// Calendar year of the missing cell.
        year: i32,
    },

    /// A patient's sex label that the life table does not list.
    #[error(
        "sex {sex:?} is not in the life table (it lists {known}); use the table's sex labels"
    )]
    UnknownSex {
        /// The label found.
        sex: String,
        /// The labels of the life table, comma-separated.
        known: String,
    },

    /// Follow-up runs outside the calendar years of the life table.
    #[error(
        "follow-up needs expected mortality in {year}, but the life table covers {first_year} to {last_year}; extend the table, or allow carrying its last year forward"
    )]
    LifeTableTooShort {
        /// First calendar year needed outside the table.
        year: i32,
        /// First year of the table.
        first_year: i32,
        /// Last year of the table.
        last_year: i32,
    },

    /// A trend or segmented regression given too few or invalid points.
    #[error("{what}: {message}")]
    InvalidTrend {
        /// The model that could not be fitted.
        what: &'static str,
        /// What was expected and what was found.
        message: String,
    },

    /// An age-standardised survival whose age group has no estimate.
    #[error(
        "age group {age_group}: survival is not estimable at this time ({reason}); choose an earlier time or merge age groups"
    )]
    AgeGroupNotEstimable {
        /// Label of the age group.
        age_group: String,
        /// Why the estimate is missing.
        reason: String,
    },

    /// A numerical routine failed on input it should accept.
    #[error(
        "internal error in rnc-stats ({0}); please report this bug with the input sizes"
    )]
    Internal(String),

    /// Arrow rejected the arrays of the incidence table.
    #[error(
        "building the incidence record batch failed; please report this bug in rnc-stats"
    )]
    Arrow(#[from] arrow_schema::ArrowError),
}

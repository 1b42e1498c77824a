//! Probabilistic record linkage of pseudonymised source records into
//! persons.
//!
//! [`link`] takes [`rnc_model::SourceRecord`]s, whose identifiers exist only
//! as keyed pseudonyms and Bloom filters, and returns a [`Linkage`]: the
//! person (cluster) of every record, the scored candidate pairs and the
//! trained [`FellegiSunterModel`]. The steps follow Splink's
//! Fellegi-Sunter model:
//!
//! 0. profiles: records whose encoded pseudonyms and name filters are all
//!    equal are grouped into one linkage profile, compared once, and
//!    counted as the record pairs they represent
//!    ([`ScoredPair::record_pairs`]), so that a person's identical records
//!    from many years do not multiply the pairs;
//! 1. blocking: candidate pairs share a key under one of the rules listed
//!    by [`blocking_rule_names`] (blocks above [`MAX_BLOCK_SIZE`] records
//!    are skipped);
//! 2. comparisons: six comparisons ([`COMPARISON_NAMES`]), each with a
//!    null level that carries no evidence;
//! 3. training: u from random record pairs, m by EM sessions on blocked
//!    pairs (each comparison from a rule that does not block on it), then
//!    the prior λ;
//! 4. scoring: match weight log2(λ/(1−λ)) + Σ log2(m/u) and posterior
//!    P = λ∏(m/u) / (λ∏(m/u) + 1 − λ); pairs with P at or above the
//!    threshold are linked, as are pairs with the same valid NIR and sex
//!    when [`LinkConfig::deterministic_nir`] is set;
//! 5. clustering: union-find over the linked pairs, then clusters that
//!    hold two different NIRs, incompatible birth dates or unrelated first
//!    names are rebuilt from their strongest edges.
//!
//! Records are processed in the order of their `record_id`, so the result
//! does not depend on the input order. [`evaluate::pairwise_scores`]
//! measures a clustering against the truth.
//!
//! Records of any CSV are linked by [`link_table`] under a model file
//! ([`ModelSpec`], TOML) that declares the comparisons (exact,
//! Jaro-Winkler and edit-distance bands, dates, optional term-frequency
//! adjustment) and the blocking rules. Its parameters are saved and
//! reloaded as a [`TrainedModel`] to score new data without retraining.
//! [`link_with_decisions`] applies reviewers' decisions on the pairs that
//! [`review_queue`] lists.
//!
//! # Example
//!
//! ```
//! use rnc_link::{LinkConfig, link};
//! use rnc_model::{NirStatus, Sex, SourceRecord};
//!
//! let record = |id: &str, nir: &str| SourceRecord {
//!     record_id: id.to_string(),
//!     nir_status: Some(NirStatus::Valid),
//!     nir_pseudonym: Some(nir.to_string()),
//!     sex: Some(Sex::Female),
//!     ..Default::default()
//! };
//! let records = [record("a/1", "n1"), record("b/7", "n2"), record("b/2", "n1")];
//! let linkage = link(&records, &LinkConfig::default()).unwrap();
//! assert_eq!(linkage.person_of, vec![0, 1, 0]);
//! assert_eq!(linkage.summary.nir_pairs, 1);
//! ```

#![deny(missing_docs)]

mod blocking;
mod carried;
mod cluster;
mod compare;
mod dice;
mod em;
mod error;
pub mod evaluate;
mod field_compare;
mod file_blocking;
mod file_cluster;
mod file_link;
mod file_truth;
mod file_u;
mod linkage;
mod model;
pub mod pair_plan;
mod persons;
mod profiles;
mod records;
mod review;
mod similarity;
mod spec;
mod table;
mod training;

pub use blocking::{MAX_BLOCK_SIZE, blocking_rule_names};
pub use compare::{
    COMPARISON_COUNT, COMPARISON_NAMES, DICE_HIGH, DICE_LOW, EncodedRecords,
    FIRST_NAME_DICE_FLOOR, RecordEncoder,
};
pub use dice::dice_coefficient;
pub use em::{EmOutcome, EmSettings, train_em};
pub use error::{Error, ErrorKind};
pub use file_link::{
    FileLinkSummary, FileLinkage, KeptPairs, LinkMode, RuleEstimate,
    ScoredPairs, TrainedModel, estimate_comparisons, link_table,
    link_table_keeping, score_pairs,
};
pub use file_truth::{ParameterCheck, compare_parameters_with_truth};
pub use linkage::{
    LinkConfig, LinkOptions, LinkSummary, Linkage, PairMethod, PriorLinkage,
    PriorPair, RecordId, ScoredPair, estimate_encoded_comparisons,
    estimate_link_comparisons, link, link_encoded, link_with_decisions,
    link_with_options,
};
pub use model::{
    Comparison, ComparisonLevel, FellegiSunterModel, MAX_PROBABILITY,
    MIN_PROBABILITY, TrainingSession,
};
pub use pair_plan::PairFinder;
pub use persons::stable_person_numbers;
pub use records::{RecordTable, standardise};
pub use review::{
    ComparisonDetail, Decision, ReviewDecision, ReviewItem, ReviewQueue,
    review_queue,
};
pub use spec::{
    BlockingSpec, BloomEncoding, ClusteringSpec, ComparisonKind,
    ComparisonSpec, ModelSpec, Normalisation, SALT_SEPARATOR, SpecSettings,
};
pub use table::{pair_schema, pairs_to_batch};

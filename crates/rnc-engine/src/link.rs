//! Linkage's candidate pairs found and compared by DataFusion plans, in
//! process or on a Ballista cluster.
//!
//! rnc-link computes the blocking keys of every linkage profile and hands
//! them over as two tables ([`rnc_link::pair_plan`]). [`PlanPairFinder`]
//! writes them as Parquet files, registers them and runs the
//! candidate-pair and block-summary queries, which join the keys into
//! blocks, pair the profiles of each block and compare every distinct pair
//! with the `rnc_link_levels` UDF. On a cluster the joins and the
//! comparisons run on the executors. Training, scoring and clustering stay
//! in the calling process, on the pairs the plan returns.

use std::path::{Path, PathBuf};

use datafusion::physical_plan::{collect, displayable};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use rnc_link::MAX_BLOCK_SIZE;
use rnc_link::pair_plan::{
    BlockingTables, ENTRIES_TABLE, FoundPairs, PROFILES_TABLE,
    block_summary_sql, candidate_pairs_sql, entries_schema, profiles_schema,
};

use crate::{Engine, Error};

/// Runs linkage's candidate-pair queries on an [`Engine`].
///
/// The two tables are written under `dir`, which the executors of a
/// cluster must read at the same path (the registry's storage, mounted on
/// every machine, as for statistics). They and `dir`, when empty, are
/// removed once the queries have run, whether or not they succeeded.
#[derive(Debug, Clone)]
pub struct PlanPairFinder {
    engine: Engine,
    dir: PathBuf,
}

impl PlanPairFinder {
    /// Makes a finder that runs on `engine` with its tables under `dir`.
    pub fn new(engine: Engine, dir: PathBuf) -> PlanPairFinder {
        PlanPairFinder { engine, dir }
    }

    fn run(&self, tables: BlockingTables) -> Result<FoundPairs, Error> {
        let dir = std::path::absolute(&self.dir).map_err(Error::Io)?;
        // DataFusion reads these characters in a table path as a glob
        // pattern, and would then find no file.
        if dir.to_string_lossy().contains(['*', '?', '[', ']']) {
            return Err(Error::InvalidEngine(format!(
                "{}: a path with *, ?, [ or ] cannot be read as a table; \
                 move the registry to a path without them",
                dir.display()
            )));
        }
        std::fs::create_dir_all(&dir).map_err(|error| {
            Error::Io(std::io::Error::new(
                error.kind(),
                format!("creating {}: {error}", dir.display()),
            ))
        })?;

        let entries = dir.join(format!("{ENTRIES_TABLE}.parquet"));
        let profiles = dir.join(format!("{PROFILES_TABLE}.parquet"));
        let result = self.write_and_query(tables, &entries, &profiles);

        for path in [&entries, &profiles] {
            if let Err(error) = std::fs::remove_file(path)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(
                    path = %path.display(),
                    %error,
                    "could not remove a linkage work table; delete it by hand"
                );
            }
        }
        // Left in place when something else was put there.
        let _ = std::fs::remove_dir(&dir);
        result
    }

    fn write_and_query(
        &self,
        tables: BlockingTables,
        entries: &Path,
        profiles: &Path,
    ) -> Result<FoundPairs, Error> {
        let config = broadcast_profiles(&self.engine, &tables);
        rnc_store::parquet_io::write_parquet(
            entries,
            entries_schema(),
            &[tables.entries],
        )?;
        rnc_store::parquet_io::write_parquet(
            profiles,
            profiles_schema(),
            &[tables.profiles],
        )?;
        self.engine.block_on(async {
            let context = self.engine.context(config).await?;
            register(&context, ENTRIES_TABLE, entries).await?;
            register(&context, PROFILES_TABLE, profiles).await?;
            let blocks = context
                .sql(&block_summary_sql(MAX_BLOCK_SIZE))
                .await?
                .collect()
                .await?;
            let plan = context
                .sql(&candidate_pairs_sql(MAX_BLOCK_SIZE))
                .await?
                .create_physical_plan()
                .await?;
            tracing::debug!(
                plan = %displayable(plan.as_ref()).indent(true),
                "candidate-pair plan"
            );
            let pairs = collect(plan, context.task_ctx()).await?;
            Ok(FoundPairs { pairs, blocks })
        })
    }
}

/// Returns session settings under which both joins of the candidate pairs
/// with the profile table read the whole table on each task (a broadcast
/// join) instead of sending both to the partitions of a hash join.
///
/// A pair of profiles carries both profiles' name filters into the
/// comparison, close to a kilobyte. Partitioned joins send that width
/// through a shuffle for every pair: a national year's 58 million profile
/// pairs wrote 40 GB of shuffle files on a two-executor cluster and filled
/// its disk. Broadcast, the pairs meet the profiles in the stage that
/// compares them, and only the pairs and their levels move. The cost is
/// memory: each task builds a hash table of the whole profile table. For a
/// national year's 3 million profiles, executors running one task at a
/// time peaked at about 6 GB.
///
/// Ballista replaces DataFusion's join thresholds with its own, so a
/// cluster session sets Ballista's broadcast thresholds as well.
fn broadcast_profiles(
    engine: &Engine,
    tables: &BlockingTables,
) -> SessionConfig {
    let bytes = tables.profiles.get_array_memory_size().saturating_mul(2);
    let rows = tables.profiles.num_rows().saturating_add(1);
    let mut config = SessionConfig::new();
    #[cfg(feature = "ballista")]
    if matches!(engine.kind(), crate::EngineKind::Ballista { .. }) {
        use ballista::extension::SessionConfigExt;
        config = SessionConfig::new_with_ballista()
            .with_ballista_broadcast_join_threshold_bytes(bytes)
            .with_ballista_broadcast_join_threshold_rows(rows);
    }
    #[cfg(not(feature = "ballista"))]
    let _ = engine;
    let join = &mut config.options_mut().optimizer;
    join.hash_join_single_partition_threshold =
        join.hash_join_single_partition_threshold.max(bytes);
    join.hash_join_single_partition_threshold_rows =
        join.hash_join_single_partition_threshold_rows.max(rows);
    config
}

async fn register(
    context: &SessionContext,
    name: &str,
    path: &Path,
) -> Result<(), Error> {
    let path = path.to_str().ok_or_else(|| {
        Error::InvalidEngine(format!(
            "{} is not UTF-8; put the registry under a UTF-8 path",
            path.display()
        ))
    })?;
    context
        .register_parquet(name, path, ParquetReadOptions::default())
        .await?;
    Ok(())
}

impl rnc_link::PairFinder for PlanPairFinder {
    fn find_pairs(&self, tables: BlockingTables) -> Result<FoundPairs, String> {
        let engine = self.engine.kind().to_string();
        self.run(tables)
            .map_err(|error| format!("engine {engine}: {error}"))
    }
}

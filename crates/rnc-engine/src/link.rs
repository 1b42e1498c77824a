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
        std::fs::create_dir_all(&self.dir).map_err(Error::Io)?;
        let dir = std::path::absolute(&self.dir).map_err(Error::Io)?;
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
            let context = self.engine.context(SessionConfig::new()).await?;
            register(&context, ENTRIES_TABLE, entries).await?;
            register(&context, PROFILES_TABLE, profiles).await?;
            let blocks = context
                .sql(&block_summary_sql(MAX_BLOCK_SIZE))
                .await?
                .collect()
                .await?;
            let pairs = context
                .sql(&candidate_pairs_sql(MAX_BLOCK_SIZE))
                .await?
                .collect()
                .await?;
            Ok(FoundPairs { pairs, blocks })
        })
    }
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

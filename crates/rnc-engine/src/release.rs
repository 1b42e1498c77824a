//! Read-only queries on a release, on either engine.

use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use rnc_store::sql::{register_release, release_session_config, run_read_only};

use crate::{Engine, Error};

impl Engine {
    /// Makes a session with the Parquet tables of `release_dir` registered
    /// under their file stems (`tumours`, `persons`, …).
    ///
    /// On a Ballista cluster the executors read the same paths, so the
    /// registry directory must be on storage that every executor mounts at
    /// the same path.
    ///
    /// # Errors
    ///
    /// As [`Engine::context`], and [`Error::Store`] when the release folder
    /// cannot be listed or a table cannot be read.
    pub async fn release_context(
        &self,
        release_dir: &Path,
    ) -> Result<SessionContext, Error> {
        let context = self.context(release_session_config()).await?;
        register_release(&context, release_dir).await?;
        Ok(context)
    }

    /// Runs a read-only `query` on the tables of `release_dir` and returns
    /// the result (at least one batch, so that an empty result keeps its
    /// columns).
    ///
    /// # Errors
    ///
    /// As [`Engine::release_context`]; [`Error::Store`] when the query does
    /// not plan or run, or writes.
    pub fn query_release(
        &self,
        release_dir: &Path,
        query: &str,
    ) -> Result<Vec<RecordBatch>, Error> {
        self.block_on(async {
            let context = self.release_context(release_dir).await?;
            Ok(run_read_only(&context, query).await?)
        })
    }
}

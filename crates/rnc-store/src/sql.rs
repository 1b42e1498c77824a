//! SQL on a release with Apache DataFusion, in process.

use std::path::Path;

use arrow::array::RecordBatch;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

use crate::Error;

/// Runs `query` on the Parquet tables of `release_dir`, each registered
/// under its file stem (`tumours`, `persons`, …), and returns the result.
///
/// The session is read-only: DDL (`CREATE`, `DROP`), DML (`INSERT`,
/// `COPY … TO`) and statements such as `SET` are rejected, so a query can
/// neither change a release nor write or read files outside it.
///
/// This runs in process on a new DataFusion session. The `rnc-engine`
/// crate runs the same query through [`register_release`] and
/// [`run_read_only`] on a session of its choice, in process or on a
/// cluster.
///
/// # Errors
///
/// [`Error::Sql`] when the query does not parse or plan, or is not a
/// read-only query; an unknown table's error lists the tables there are.
/// I/O errors when the folder cannot be listed.
pub fn run_sql(
    release_dir: &Path,
    query: &str,
) -> Result<Vec<RecordBatch>, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io(release_dir))?;
    runtime.block_on(async {
        let context = SessionContext::new_with_config(release_session_config());
        register_release(&context, release_dir).await?;
        run_read_only(&context, query).await
    })
}

/// Returns the session settings of queries on a release.
pub fn release_session_config() -> SessionConfig {
    // Plain Utf8 string columns rather than Utf8View, so that results
    // keep the types of the release tables for callers and for R and
    // Python readers of exported results.
    SessionConfig::new().set_bool(
        "datafusion.execution.parquet.schema_force_view_types",
        false,
    )
}

/// Registers each Parquet table of `release_dir` in `context` under its
/// file stem.
///
/// # Errors
///
/// I/O errors when the folder cannot be listed, [`Error::Invalid`] for a
/// path that is not UTF-8, [`Error::Sql`] when a file cannot be read.
pub async fn register_release(
    context: &SessionContext,
    release_dir: &Path,
) -> Result<(), Error> {
    for entry in
        std::fs::read_dir(release_dir).map_err(Error::io(release_dir))?
    {
        let path = entry.map_err(Error::io(release_dir))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("parquet") {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("release file names are ASCII");
        let location = path.to_str().ok_or_else(|| {
            Error::Invalid(format!("{} is not a UTF-8 path", path.display()))
        })?;
        context
            .register_parquet(name, location, ParquetReadOptions::default())
            .await?;
    }
    Ok(())
}

/// Runs `query` on the tables registered in `context`, rejecting DDL, DML
/// and statements, and returns at least one batch so that a query with no
/// row still shows its columns.
///
/// # Errors
///
/// [`Error::Sql`] when the query does not parse, plan or run, or is not a
/// read-only query; an unknown table's error lists the tables there are.
pub async fn run_read_only(
    context: &SessionContext,
    query: &str,
) -> Result<Vec<RecordBatch>, Error> {
    let read_only = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let frame = match context.sql_with_options(query, read_only).await {
        Ok(frame) => frame,
        Err(error) if error.to_string().contains("not found") => {
            let mut tables: Vec<String> = context
                .catalog_names()
                .iter()
                .filter_map(|c| context.catalog(c))
                .flat_map(|c| {
                    c.schema_names()
                        .into_iter()
                        .filter_map(move |s| c.schema(&s))
                })
                .flat_map(|s| s.table_names())
                .collect();
            tables.sort();
            return Err(Error::Invalid(format!(
                "{}; the tables are: {}",
                error.strip_backtrace(),
                tables.join(", ")
            )));
        }
        Err(error) => return Err(error.into()),
    };
    let schema = std::sync::Arc::new(frame.schema().as_arrow().clone());
    let mut batches = frame.collect().await?;
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    Ok(batches)
}

/// Formats batches as a text table for a terminal.
///
/// # Errors
///
/// [`Error::Arrow`] when a value cannot be displayed.
pub fn format_table(batches: &[RecordBatch]) -> Result<String, Error> {
    Ok(arrow::util::pretty::pretty_format_batches(batches)?.to_string())
}

/// Formats batches as CSV with a header line.
///
/// # Errors
///
/// [`Error::Arrow`] when a value cannot be written.
pub fn format_csv(batches: &[RecordBatch]) -> Result<String, Error> {
    let mut bytes = Vec::new();
    {
        let mut writer = arrow::csv::WriterBuilder::new()
            .with_header(true)
            .build(&mut bytes);
        for batch in batches {
            writer.write(batch)?;
        }
    }
    Ok(String::from_utf8(bytes).expect("arrow writes UTF-8 CSV"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::parquet_io::write_parquet;

    #[test]
    fn query_a_release_folder() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("site_group", DataType::Utf8, false),
            Field::new("cases", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["breast", "lung", "breast"])),
                Arc::new(Int64Array::from(vec![3, 4, 5])),
            ],
        )
        .unwrap();
        write_parquet(&dir.path().join("tumours.parquet"), schema, &[batch])
            .unwrap();
        let result = run_sql(
            dir.path(),
            "SELECT site_group, SUM(cases) AS n FROM tumours GROUP BY site_group ORDER BY site_group",
        )
        .unwrap();
        let csv = format_csv(&result).unwrap();
        assert_eq!(csv, "site_group,n\nbreast,8\nlung,4\n");
    }

    #[test]
    fn empty_result_keeps_columns() {
        let dir = tempfile::tempdir().unwrap();
        let result =
            run_sql(dir.path(), "SELECT 1 AS tumours WHERE 1 = 0").unwrap();
        let table = format_table(&result).unwrap();
        assert!(table.contains("tumours"), "{table}");
    }

    #[test]
    fn writes_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("copy.csv");
        for query in [
            format!(
                "COPY (SELECT 1 AS n) TO '{}' STORED AS CSV",
                target.display()
            ),
            "CREATE TABLE t AS SELECT 1 AS n".to_string(),
            "DROP TABLE IF EXISTS tumours".to_string(),
            "SET datafusion.execution.batch_size = 1".to_string(),
        ] {
            assert!(
                run_sql(dir.path(), &query).is_err(),
                "{query} was accepted"
            );
        }
        assert!(!target.exists());
    }

    #[test]
    fn unknown_table_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "n",
            DataType::Int64,
            false,
        )]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int64Array::from(vec![1]))],
        )
        .unwrap();
        write_parquet(&dir.path().join("persons.parquet"), schema, &[batch])
            .unwrap();
        let err = run_sql(dir.path(), "SELECT * FROM tumours").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("tumours"), "{message}");
        assert!(message.contains("the tables are: persons"), "{message}");
    }
}

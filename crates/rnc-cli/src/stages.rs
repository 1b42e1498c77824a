//! Per-stage timing of `rnc run` and `rnc demo`: rows, wall time and peak
//! resident memory of each stage, with a spinner naming the running stage
//! on a terminal.

use std::time::Instant;

use crate::progress;

/// One finished stage.
#[derive(Debug, Clone)]
pub struct StageRow {
    /// Stage name, e.g. `link`.
    pub name: &'static str,
    /// Rows the stage produced or read, as named in `detail`.
    pub rows: u64,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Peak resident memory of the process during the stage, in bytes;
    /// `None` where the kernel does not report it (not Linux).
    pub peak_rss: Option<u64>,
    /// Description of the rows, and other figures of the stage.
    pub detail: String,
}

/// Result of a stage: its rows and a detail line.
pub struct StageEnd {
    /// Rows produced or read.
    pub rows: u64,
    /// Description of the rows.
    pub detail: String,
}

/// Collects the [`StageRow`]s of a run.
#[derive(Debug, Default)]
pub struct StageTable {
    rows: Vec<StageRow>,
}

impl StageTable {
    /// Runs `stage` under a spinner named `name` and records its rows,
    /// wall time and peak resident memory. Then it returns the memory the
    /// stage freed to the system ([`crate::return_freed_memory`]).
    pub fn run<T>(
        &mut self,
        name: &'static str,
        stage: impl FnOnce() -> anyhow::Result<(T, StageEnd)>,
    ) -> anyhow::Result<T> {
        self.run_stage(name, stage, true)
    }

    /// Runs `stage` as [`StageTable::run`] does, but leaves the memory the
    /// stage freed with the process for the next stage to reuse, because
    /// the kernel zeroes every page new to the process. Memory still unused
    /// after the purge delay between stages is returned to the system.
    pub fn run_keeping_freed_memory<T>(
        &mut self,
        name: &'static str,
        stage: impl FnOnce() -> anyhow::Result<(T, StageEnd)>,
    ) -> anyhow::Result<T> {
        self.run_stage(name, stage, false)
    }

    fn run_stage<T>(
        &mut self,
        name: &'static str,
        stage: impl FnOnce() -> anyhow::Result<(T, StageEnd)>,
        return_freed_memory: bool,
    ) -> anyhow::Result<T> {
        reset_peak_rss();
        // Ingest, link and consolidate draw their own bars below this line,
        // which names the running stage.
        let spinner = progress::spinner("stage");
        spinner.set_message(name);
        let clock = Instant::now();
        let result = stage();
        spinner.finish_and_clear();
        let (value, end) = result?;
        let seconds = clock.elapsed().as_secs_f64();
        let peak_rss = peak_rss();
        if return_freed_memory {
            crate::return_freed_memory();
        }
        tracing::info!(
            stage = name,
            rows = end.rows,
            seconds,
            peak_rss_bytes = peak_rss,
            "stage finished"
        );
        self.rows.push(StageRow {
            name,
            rows: end.rows,
            seconds,
            peak_rss,
            detail: end.detail,
        });
        Ok(value)
    }

    /// Returns the stages recorded so far, in order.
    #[cfg(test)]
    pub fn rows(&self) -> &[StageRow] {
        &self.rows
    }

    /// Formats the table: stage, rows, wall time, peak RSS and detail,
    /// with a total line.
    pub fn format(&self) -> String {
        let mut text = format!(
            "{:<12} {:>12} {:>10} {:>12}  detail\n",
            "stage", "rows", "wall s", "peak RSS MiB"
        );
        for row in &self.rows {
            text.push_str(&format!(
                "{:<12} {:>12} {:>10.2} {:>12}  {}\n",
                row.name,
                row.rows,
                row.seconds,
                mebibytes(row.peak_rss),
                row.detail
            ));
        }
        let total: f64 = self.rows.iter().map(|r| r.seconds).sum();
        let peak = self.rows.iter().filter_map(|r| r.peak_rss).max();
        text.push_str(&format!(
            "{:<12} {:>12} {:>10.2} {:>12}\n",
            "total",
            "",
            total,
            mebibytes(peak)
        ));
        text
    }
}

fn mebibytes(bytes: Option<u64>) -> String {
    bytes.map_or("-".to_string(), |b| format!("{:.0}", b as f64 / 1048576.0))
}

/// Resets the kernel's peak resident set size of this process to its
/// current size, so that the next reading is the peak of one stage
/// (proc(5), `/proc/PID/clear_refs` value 5, Linux 4.0 and later). Where
/// the file cannot be written, the next reading is the peak since start.
fn reset_peak_rss() {
    if let Err(error) = std::fs::write("/proc/self/clear_refs", "5") {
        tracing::debug!(%error, "peak RSS not reset; stage peaks are cumulative");
    }
}

/// Reads the peak resident set size (`VmHWM`) of this process, in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_records_rows_and_memory() {
        let mut table = StageTable::default();
        let value = table
            .run("count", || {
                // Touch 64 MiB so that the stage's peak is at least that.
                let block = vec![1u8; 64 << 20];
                let sum: u64 = block.iter().map(|&b| u64::from(b)).sum();
                Ok((
                    sum,
                    StageEnd {
                        rows: 3,
                        detail: "three rows".into(),
                    },
                ))
            })
            .unwrap();
        assert_eq!(value, 64 << 20);
        let row = &table.rows()[0];
        assert_eq!(row.name, "count");
        assert_eq!(row.rows, 3);
        assert!(row.seconds >= 0.0);
        if let Some(peak) = row.peak_rss {
            assert!(peak >= 64 << 20, "peak {peak} below the 64 MiB touched");
        }
        let text = table.format();
        assert!(text.contains("count"), "{text}");
        assert!(text.contains("three rows"), "{text}");
        assert!(text.contains("total"), "{text}");
    }

    #[test]
    fn stage_keeping_memory_is_recorded() {
        let mut table = StageTable::default();
        table
            .run("first", || {
                Ok((
                    (),
                    StageEnd {
                        rows: 1,
                        detail: "one".into(),
                    },
                ))
            })
            .unwrap();
        table
            .run_keeping_freed_memory("second", || {
                Ok((
                    (),
                    StageEnd {
                        rows: 2,
                        detail: "two".into(),
                    },
                ))
            })
            .unwrap();
        let names: Vec<&str> = table.rows().iter().map(|r| r.name).collect();
        assert_eq!(names, ["first", "second"]);
        assert_eq!(table.rows()[1].rows, 2);
    }

    #[test]
    fn failed_stage_is_not_recorded() {
        let mut table = StageTable::default();
        let result: anyhow::Result<()> =
            table.run("broken", || anyhow::bail!("stage failed"));
        assert!(result.is_err());
        assert!(table.rows().is_empty());
    }
}

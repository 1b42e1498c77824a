//! Progress bars on stderr, drawn only when stderr is a terminal and
//! `--quiet` is not set, and a log writer that pauses them while a log
//! line prints.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{
    MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle,
};

static BARS: OnceLock<MultiProgress> = OnceLock::new();

fn bars() -> &'static MultiProgress {
    BARS.get_or_init(|| {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        MultiProgress::with_draw_target(target)
    })
}

/// Hides every bar from now on.
pub fn hide() {
    bars().set_draw_target(ProgressDrawTarget::hidden());
}

/// Adds a bar counting `total` items of a stage, with rate and time left.
pub fn counter(stage: &str, total: u64) -> ProgressBar {
    let bar = bars().add(ProgressBar::new(total));
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>12} [{bar:30}] {human_pos}/{human_len} {per_sec} eta {eta}",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    bar.set_prefix(stage.to_string());
    bar
}

/// Adds a spinner for a stage whose amount of work is not known in
/// advance.
pub fn spinner(stage: &str) -> ProgressBar {
    let bar = bars().add(ProgressBar::new_spinner());
    bar.set_style(
        ProgressStyle::with_template("{prefix:>12} {spinner} {msg} {elapsed}")
            .expect("the template is valid"),
    );
    bar.set_prefix(stage.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Writes log lines to stderr with the progress bars paused.
#[derive(Default)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        bars().suspend(|| std::io::stderr().write_all(bytes))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

//! The dashboard in headless Chromium (Debian's `chromium` package): it
//! loads from a service on loopback, shows its four plots, requests
//! nothing from another site, and the test writes a screenshot.
//!
//! Skips with a message when no `chromium` binary is on the PATH; `.ci/run`
//! installs it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Finds Debian's chromium.
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        let output = Command::new("which").arg(name).output().ok()?;
        output.status.success().then(|| {
            PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
        })
    })
}

/// Runs chromium headless on `url` with the flags that work in a
/// container and a fresh profile, and returns its stdout.
fn run_chromium(
    binary: &Path,
    profile: &Path,
    extra: &[&str],
    url: &str,
) -> String {
    let output = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,2300",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn dashboard_renders_in_chromium() {
    let Some(binary) = chromium() else {
        eprintln!(
            "skipped: no chromium on the PATH (apt-get install chromium; .ci/run installs it)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let state = common::state(dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        runtime.spawn(rnc_service::serve(state.clone(), listener, async {
            let _ = stopped.await;
        }));
    let url = format!("http://{address}/");

    let dom = run_chromium(
        &binary,
        &dir.path().join("profile-dom"),
        &["--dump-dom"],
        &url,
    );
    let figures: Vec<&str> =
        dom.split("<figure class=\"plot\"").skip(1).collect();
    let names: Vec<&str> = figures
        .iter()
        .filter_map(|f| f.split("data-plot=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        names,
        ["incidence", "trends", "survival", "departements"],
        "plots shown"
    );
    for (name, figure) in names.iter().zip(&figures) {
        let svg = figure.split("</figure>").next().unwrap();
        assert!(svg.contains("<svg"), "{name}: a figure without its plot");
        let marks: usize = ["<rect", "<path", "<polyline", "<line", "<circle"]
            .iter()
            .map(|element| svg.matches(element).count())
            .sum();
        assert!(marks >= 3, "{name}: an empty plot ({marks} marks)\n{svg}");
    }
    for attribute in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "url(http",
        "<script",
        "<link",
    ] {
        assert!(
            !dom.contains(attribute),
            "the page refers to another resource: {attribute}"
        );
    }

    let screenshot =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    let _ = std::fs::remove_file(&screenshot);
    run_chromium(
        &binary,
        &dir.path().join("profile-shot"),
        &[&format!("--screenshot={}", screenshot.display())],
        &url,
    );
    let png =
        std::fs::read(&screenshot).expect("chromium wrote the screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert!(
        png.len() > 20_000,
        "screenshot of {} bytes is too small to show the plots",
        png.len()
    );
    eprintln!("screenshot: {}", screenshot.display());

    let _ = stop.send(());
    runtime
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(10), server).await
        })
        .expect("the service stops")
        .unwrap()
        .unwrap();
    // Both page loads were recorded.
    assert!(state.audit.entries() >= 2);
}

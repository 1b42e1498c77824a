//! `rnc review` on a small synthetic registry: the queue written by `rnc
//! link` is listed, a decision is recorded and applied by the next `rnc
//! link`, and a decided pair leaves the queue.

mod common;

use common::{arg, run_rnc};

#[test]
fn review_decision_persists_across_links() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    let registry = dir.path().join("registry");
    let key = dir.path().join("rnc.key");
    let global = ["--registry", arg(&registry), "--key", arg(&key), "--quiet"];
    let run =
        |args: &[&str], expected: &[i32]| run_rnc(&global, args, expected);

    run(
        &[
            "synth",
            "--feed-format",
            "plain",
            "--persons",
            "20000",
            "--seed",
            "5",
            "--out",
            arg(&feeds),
        ],
        &[0],
    );
    for kind in ["registry_extract", "hospital_stay", "pathology_report"] {
        let file = feeds.join(format!("{kind}.csv"));
        run(&["ingest", "--source", kind, arg(&file)], &[0, 1]);
    }
    let linked = run(&["link"], &[0]);
    assert!(
        linked.contains("0 reviewers' decisions applied"),
        "{linked}"
    );

    let listed = run(&["review", "--limit", "1"], &[0]);
    let summary = listed.lines().last().unwrap();
    let waiting: usize = summary
        .strip_prefix("review: ")
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected summary line: {summary}"));
    assert!(waiting > 0, "the synthetic feeds must give uncertain pairs");
    let first: Vec<&str> =
        listed.lines().next().unwrap().split_whitespace().collect();
    let (left, right) = (first[0], first[1]);

    let decided = run(
        &["review", "--pair", right, left, "--decision", "non-match"],
        &[0],
    );
    assert!(decided.contains("1 decisions in total"), "{decided}");
    let relinked = run(&["link"], &[0]);
    assert!(
        relinked.contains("1 reviewers' decisions applied"),
        "{relinked}"
    );
    let listed = run(&["review"], &[0]);
    assert!(
        !listed.contains(&format!("{left} {right}")),
        "a decided pair must leave the queue:\n{listed}"
    );
    assert!(listed.contains("1 decisions recorded"), "{listed}");

    // A second decision on the same pair says it replaces the first.
    let replaced = run(
        &["review", "--pair", left, right, "--decision", "match"],
        &[0],
    );
    assert!(replaced.contains("replacing the decision"), "{replaced}");

    // A record the registry does not hold is rejected.
    run(
        &[
            "review",
            "--pair",
            left,
            "hospital_stay/NOSUCH",
            "--decision",
            "match",
        ],
        &[2],
    );
}

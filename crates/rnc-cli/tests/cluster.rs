//! The set-based stages on a Ballista cluster: a scheduler and two
//! executors started with `rnc scheduler` and `rnc executor` on loopback
//! ports. Every statistics table and SQL result is compared with the
//! in-process run on the same release. Linkage's candidate pairs found on
//! the cluster give the same link tables, tumours and release, in a full
//! relink and in the whole pipeline run through the cluster.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{arg, files_under, rnc, rnc_expect, run_rnc};

/// Child processes killed when the test ends, passed or failed.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Ports free on 127.0.0.1 now. The listeners close before the cluster
/// binds them, so another process could take one in between; the test
/// then fails with the bind error, never silently.
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

fn spawn(args: &[&str], log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_rnc"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the rnc binary starts")
}

/// Runs `rnc sql --csv QUERY` on `engine` and returns its stdout.
fn sql(registry: &Path, engine: &str, query: &str) -> String {
    let output = rnc_expect(
        &[
            "--registry",
            arg(registry),
            "--engine",
            engine,
            "sql",
            "--csv",
            query,
        ],
        0,
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Waits until a query through the cluster succeeds, which needs the
/// scheduler up and at least one executor registered.
fn wait_for_cluster(registry: &Path, engine: &str, logs: &Path) {
    let started = Instant::now();
    loop {
        let output = rnc(&[
            "--registry",
            arg(registry),
            "--engine",
            engine,
            "sql",
            "--csv",
            "SELECT COUNT(*) AS n FROM tumours",
        ]);
        if output.status.success() {
            return;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let mut text = String::new();
            for log in files_under(logs) {
                text += &format!(
                    "--- {}\n{}\n",
                    log.display(),
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            panic!(
                "the cluster did not answer within 120 s\nlast error:\n{}\n{text}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn cluster_matches_in_process_run() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    let run = dir.path().join("run");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    rnc_expect(
        &[
            "synth",
            "--persons",
            "20000",
            "--seed",
            "5",
            "--out",
            arg(&feeds),
        ],
        0,
    );
    // One key for the in-process run and the cluster run below, so that
    // both pseudonymise alike.
    let key = dir.path().join("run.key");
    let output = rnc(&[
        "--key",
        arg(&key),
        "run",
        "--feeds",
        arg(&feeds),
        "--out",
        arg(&run),
        "--quiet",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "rnc run failed\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for stage in [
        "ingest",
        "link",
        "consolidate",
        "release",
        "stats",
        "report",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(stage)),
            "no {stage} row in the timing table\n{stdout}"
        );
    }
    let registry = run.join("registry");

    let ports = free_ports(5);
    let scheduler = format!("127.0.0.1:{}", ports[0]);
    let engine = format!("ballista://{scheduler}");
    let mut processes = Processes(Vec::new());
    processes.0.push(spawn(
        &["scheduler", "--bind", &scheduler],
        &logs.join("scheduler.log"),
    ));
    for (i, pair) in ports[1..].chunks(2).enumerate() {
        let work = dir.path().join(format!("executor{i}"));
        std::fs::create_dir(&work).unwrap();
        processes.0.push(spawn(
            &[
                "executor",
                "--scheduler",
                &scheduler,
                "--flight-port",
                &pair[0].to_string(),
                "--grpc-port",
                &pair[1].to_string(),
                "--concurrent-tasks",
                "2",
                "--work-dir",
                arg(&work),
            ],
            &logs.join(format!("executor{i}.log")),
        ));
    }
    wait_for_cluster(&registry, &engine, &logs);

    // Every statistics output, in process and on the cluster.
    let local_out = dir.path().join("stats-local");
    let cluster_out = dir.path().join("stats-cluster");
    for (engine, out) in
        [("local", &local_out), (engine.as_str(), &cluster_out)]
    {
        rnc_expect(
            &[
                "--registry",
                arg(&registry),
                "--engine",
                engine,
                "stats",
                "--out",
                arg(out),
            ],
            0,
        );
    }
    let local_files = files_under(&local_out);
    assert!(local_files.len() >= 4, "{local_files:?}");
    for file in &local_files {
        let name = file.strip_prefix(&local_out).unwrap();
        let local = std::fs::read(file).unwrap();
        let cluster = std::fs::read(cluster_out.join(name)).unwrap();
        assert!(
            local == cluster,
            "{} differs between the local and the cluster run",
            name.display()
        );
    }

    // SQL results, sorted so that both engines give the same row order;
    // they use the UDFs on executors and a join across two tables.
    let queries = [
        "SELECT site_group, sex, incidence_year, COUNT(*) AS tumours \
         FROM tumours GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        "SELECT t.site_group, COUNT(DISTINCT p.person_id) AS persons \
         FROM tumours t JOIN persons p ON t.person_id = p.person_id \
         GROUP BY 1 ORDER BY 1",
        "SELECT COUNT(*) AS mismatches FROM tumours \
         WHERE rnc_site_group(icd10) <> site_group",
        "SELECT rnc_icdo3_to_icd10(topography, morphology, behaviour) AS icd10, \
         COUNT(*) AS n FROM tumours GROUP BY 1 ORDER BY 1 NULLS FIRST",
        "SELECT tumour_id, ROUND(rnc_jaro_winkler(tumour_id, person_id), 12) AS jw, \
         rnc_levenshtein(tumour_id, person_id) AS lev \
         FROM tumours ORDER BY tumour_id LIMIT 50",
    ];
    for query in queries {
        let local = sql(&registry, "local", query);
        let cluster = sql(&registry, &engine, query);
        assert!(local.lines().count() > 1, "{query}: no row\n{local}");
        assert_eq!(local, cluster, "{query}");
    }
    // Consolidation and the UDF give every tumour the same site group.
    let mismatches = sql(&registry, &engine, queries[2]);
    assert_eq!(mismatches, "mismatches\n0\n");

    // Linkage relinked in full on two copies of the registry, in process
    // and on the cluster, where the executors find and compare the
    // candidate pairs. The link work tables, the tumours and the release
    // that follow must be the same. A full relink is compared with a full
    // relink because it numbers persons after the earlier run's ids.
    let in_process = dir.path().join("registry-local");
    let on_cluster = dir.path().join("registry-cluster");
    for (copy, engine) in [(&in_process, "local"), (&on_cluster, &engine)] {
        copy_tree(&registry, copy);
        let global = ["--registry", arg(copy), "--engine", engine];
        let linked = run_rnc(&global, &["link", "--full"], &[0]);
        let found = match engine {
            "local" => "found in process)".to_string(),
            cluster => format!("found on {cluster})"),
        };
        assert!(linked.contains(&found), "no {found:?} in\n{linked}");
        run_rnc(&global, &["consolidate"], &[0, 1]);
        run_rnc(&global, &["release"], &[0]);
    }
    for folder in ["work/link", "work/consolidate", "releases/R0002"] {
        assert_same_files(&in_process.join(folder), &on_cluster.join(folder));
    }

    // The whole pipeline through the cluster, under the in-process run's
    // key: linkage's pairs and the statistics on the executors, the rest in
    // process. Every table it writes is the in-process run's.
    let cluster_run = dir.path().join("run-cluster");
    let stdout = run_rnc(
        &["--key", arg(&key), "--engine", engine.as_str(), "--quiet"],
        &["run", "--feeds", arg(&feeds), "--out", arg(&cluster_run)],
        &[0, 1],
    );
    assert!(stdout.contains(&format!("on engine {engine}")), "{stdout}");
    for folder in [
        "registry/work/link",
        "registry/work/consolidate",
        "registry/releases/R0001",
        "stats",
    ] {
        assert_same_files(&run.join(folder), &cluster_run.join(folder));
    }

    // With the cluster gone, linkage on it fails with a message naming the
    // engine. So the pairs above did come from the executors.
    drop(processes);
    let output = rnc(&[
        "--registry",
        arg(&on_cluster),
        "--engine",
        &engine,
        "link",
        "--full",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("could not find the candidate pairs")
            && stderr.contains(&engine),
        "{stderr}"
    );
}

/// Files that record the time they were written, to the minute, so two
/// runs a minute apart differ in them: a release's manifest and the
/// quality-check report.
const TIMESTAMPED: [&str; 2] = ["manifest.json", "check_report.html"];

/// Asserts that every file of `local`, at least three, has the same bytes
/// in `cluster`, except the [`TIMESTAMPED`] ones.
fn assert_same_files(local: &Path, cluster: &Path) {
    let local_files = files_under(local);
    assert!(local_files.len() >= 3, "{local:?}: {local_files:?}");
    for file in local_files {
        let name = file.strip_prefix(local).unwrap();
        if TIMESTAMPED.iter().any(|t| name.as_os_str() == *t) {
            continue;
        }
        let other = cluster.join(name);
        assert!(
            std::fs::read(&file).unwrap()
                == std::fs::read(&other).unwrap_or_default(),
            "{} differs between the in-process and the cluster run",
            other.display()
        );
    }
}

/// Copies every file under `from` to the same place under `to`.
fn copy_tree(from: &Path, to: &Path) {
    for file in files_under(from) {
        let target = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, &target).unwrap();
    }
}

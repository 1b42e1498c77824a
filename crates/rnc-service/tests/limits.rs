//! Request limits and errors: body size, rate per caller, and errors and
//! audit entries that never repeat a submitted value.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode};
use rnc_service::{AppState, Role, audit_log_path, router};
use tower::ServiceExt;

/// A NIR-shaped value (13 digits and a key), as a caller might paste by
/// mistake; it must never come back in a response or the audit log.
const NIR_LIKE: &str = "1850175123456";

/// The router, with requests coming from 127.0.0.`host`.
fn app(state: &Arc<AppState>, host: u8) -> axum::Router {
    router(state.clone()).layer(MockConnectInfo(SocketAddr::from((
        [127, 0, 0, host],
        40000,
    ))))
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_do_not_echo_values() {
    let dir = tempfile::tempdir().unwrap();
    let state = common::state(dir.path());
    state.access.add_project("P1", "t", 5).unwrap();
    let (_, analyst) = state
        .access
        .create_token("analysts", Role::Analyst, None)
        .unwrap();
    let (_, admin) = state
        .access
        .create_token("admins", Role::Administrator, None)
        .unwrap();
    state.reload_tokens().unwrap();
    let requests = vec![
        Request::get(format!("/api/v1/indicators/incidence?sex={NIR_LIKE}"))
            .body(Body::empty())
            .unwrap(),
        Request::get(format!("/api/v1/indicators/incidence?{NIR_LIKE}=1"))
            .body(Body::empty())
            .unwrap(),
        Request::get(format!("/api/v1/indicators/trends?year={NIR_LIKE}"))
            .body(Body::empty())
            .unwrap(),
        Request::get(format!("/api/v1/persons/{NIR_LIKE}"))
            .body(Body::empty())
            .unwrap(),
        Request::get(format!("/api/v1/releases/{NIR_LIKE}/tables/tumours"))
            .header("authorization", format!("Bearer {analyst}"))
            .body(Body::empty())
            .unwrap(),
        Request::post("/api/v1/sql")
            .header("authorization", format!("Bearer {analyst}"))
            .body(Body::from(format!(
                r#"{{"query": "SELECT * FROM t WHERE nir = '{NIR_LIKE}'"}}"#
            )))
            .unwrap(),
        Request::post("/api/v1/admin/tokens")
            .header("authorization", format!("Bearer {admin}"))
            .body(Body::from(format!(
                r#"{{"name": "x", "role": "{NIR_LIKE}"}}"#
            )))
            .unwrap(),
        Request::get("/api/v1/indicators")
            .header("authorization", format!("Bearer {NIR_LIKE}"))
            .body(Body::empty())
            .unwrap(),
    ];
    for request in requests {
        let uri = request.uri().path().to_owned();
        let response = app(&state, 1).oneshot(request).await.unwrap();
        let status = response.status();
        assert!(status.is_client_error(), "{uri}: {status}");
        let text = body_text(response).await;
        assert!(
            !text.contains(NIR_LIKE),
            "{uri}: the response repeats the value: {text}"
        );
        assert!(text.starts_with("{\"error\":"), "{uri}: {text}");
    }
    state.audit.write_head().unwrap();
    let log = std::fs::read_to_string(audit_log_path(&state.config.registry))
        .unwrap();
    assert!(
        !log.contains(NIR_LIKE),
        "the audit log holds the submitted value"
    );
    assert_eq!(log.lines().count(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_body_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let state = common::state(dir.path());
    let (_, analyst) = state
        .access
        .create_token("analysts", Role::Analyst, None)
        .unwrap();
    state.reload_tokens().unwrap();
    let query = format!(
        r#"{{"query": "SELECT 1 -- {}"}}"#,
        "x".repeat(state.config.body_limit)
    );
    let response = app(&state, 2)
        .oneshot(
            Request::post("/api/v1/sql")
                .header("authorization", format!("Bearer {analyst}"))
                .body(Body::from(query))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config(&common::build_registry(dir.path()));
    config.rate_per_second = 5;
    config.rate_burst = 10;
    let state = Arc::new(AppState::open(config).unwrap());
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let response = app(&state, 3)
            .oneshot(Request::get("/health").body(Body::empty()).unwrap())
            .await
            .unwrap();
        statuses.push(response.status());
    }
    let rejected = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    // A burst of 10, plus at most a few tokens refilled at 5 per second
    // while the loop runs.
    assert!(
        rejected >= 15,
        "only {rejected} of 30 rejected: {statuses:?}"
    );
    assert_eq!(statuses[0], StatusCode::OK);
    // Another address has its own allowance.
    let other = app(&state, 4)
        .oneshot(Request::get("/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    // Rejections are recorded like any request.
    assert_eq!(state.audit.entries(), 31);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn researcher_extract_is_k_anonymous() {
    let dir = tempfile::tempdir().unwrap();
    let state = common::state(dir.path());
    state.access.add_project("P-A", "colon", 5).unwrap();
    state.access.add_project("P-B", "lung", 5).unwrap();
    let (_, token_a) = state
        .access
        .create_token("lab a", Role::Researcher, Some("P-A"))
        .unwrap();
    let (_, token_b) = state
        .access
        .create_token("lab b", Role::Researcher, Some("P-B"))
        .unwrap();
    state.reload_tokens().unwrap();
    let fetch = |token: String| {
        let state = state.clone();
        async move {
            let response = app(&state, 5)
                .oneshot(
                    Request::get("/api/v1/extract")
                        .header("authorization", format!("Bearer {token}"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let text = body_text(response).await;
            (
                serde_json::from_str::<serde_json::Value>(&text).unwrap(),
                text,
            )
        }
    };
    let (a, text_a) = fetch(token_a).await;
    let (b, _) = fetch(token_b).await;
    let rows: Vec<rnc_service::ExtractRow> =
        serde_json::from_value(a["rows"].clone()).unwrap_or_default();
    let delivered = a["rows"].as_array().unwrap().len();
    assert!(delivered > 100, "only {delivered} rows delivered");
    assert!(rows.is_empty() || rnc_service::small_classes(&rows, 5).is_empty());
    // No release id, full date or département leaves the registry.
    assert!(
        !text_a.contains("\"P0000"),
        "a release person id is in the extract"
    );
    assert!(!text_a.contains("2021-"), "a full date is in the extract");
    assert!(!text_a.contains("\"departement\""));
    // Per-class check done here too, on the JSON.
    let mut classes: std::collections::HashMap<
        String,
        std::collections::HashSet<String>,
    > = Default::default();
    for row in a["rows"].as_array().unwrap() {
        let key = format!(
            "{}|{}|{}|{}",
            row["sex"], row["age_band"], row["incidence_year"], row["region"]
        );
        classes
            .entry(key)
            .or_default()
            .insert(row["person"].as_str().unwrap().to_owned());
    }
    assert!(
        classes.values().all(|persons| persons.len() >= 5),
        "a class with fewer than 5 persons"
    );
    // Two projects cannot join their extracts on the person pseudonym.
    let persons_a: std::collections::HashSet<&str> = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["person"].as_str().unwrap())
        .collect();
    assert!(
        b["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !persons_a.contains(r["person"].as_str().unwrap()))
    );
}

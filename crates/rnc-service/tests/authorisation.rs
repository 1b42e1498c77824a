//! The authorisation matrix: every role against every endpoint of the
//! OpenAPI document, allowed and rejected as the access table specifies.
//! The table itself is checked against the specification: public
//! indicators for all, release tables for analysts, extracts for
//! researchers, access management for administrators.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode};
use rnc_service::{ACCESS, AppState, Role, router};
use tower::ServiceExt;

/// A caller of the matrix: no token, or a token of one role.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Anonymous,
    Token(Role),
}

struct Fixture {
    _dir: tempfile::TempDir,
    state: Arc<AppState>,
    tokens: Vec<(Role, String)>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let state = common::state(dir.path());
    state
        .access
        .add_project("P-TEST", "colon cancer survival", 3)
        .unwrap();
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let project = (role == Role::Researcher).then_some("P-TEST");
        let (_, token) = state
            .access
            .create_token(&format!("{} team", role.name()), role, project)
            .unwrap();
        tokens.push((role, token));
    }
    // T0005, which the matrix's revocation requests revoke.
    state
        .access
        .create_token("to revoke", Role::Public, None)
        .unwrap();
    state.reload_tokens().unwrap();
    Fixture {
        _dir: dir,
        state,
        tokens,
    }
}

fn app(state: &Arc<AppState>) -> axum::Router {
    router(state.clone())
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))))
}

/// Builds a concrete request for a route template, with a valid body.
fn request_for(method: &str, route: &str, serial: usize) -> Request<Body> {
    let uri = route
        .replace("{release}", "R0001")
        .replace("{table}", "tumours")
        .replace("{id}", "T0005");
    let body = match (method, route) {
        ("POST", "/api/v1/sql") => {
            r#"{"query": "SELECT COUNT(*) AS n FROM tumours"}"#.to_owned()
        }
        ("POST", "/api/v1/admin/tokens") => {
            r#"{"name": "matrix", "role": "public"}"#.to_owned()
        }
        ("POST", "/api/v1/admin/projects") => {
            format!(r#"{{"id": "P-M{serial}", "title": "matrix", "k": 5}}"#)
        }
        _ => String::new(),
    };
    Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

async fn status_of(
    fixture: &Fixture,
    caller: Caller,
    mut request: Request<Body>,
) -> StatusCode {
    if let Caller::Token(role) = caller {
        let token = &fixture.tokens.iter().find(|(r, _)| *r == role).unwrap().1;
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().unwrap(),
        );
    }
    app(&fixture.state).oneshot(request).await.unwrap().status()
}

/// The specification the table must implement, written out again so
/// that a change to the table shows up here.
fn specified_roles(method: &str, route: &str) -> Vec<Role> {
    let everyone = Role::ALL.to_vec();
    match (method, route) {
        (_, "/" | "/health" | "/openapi.json") => everyone,
        ("GET", r) if r.starts_with("/api/v1/indicators") => everyone,
        ("GET", "/api/v1/releases") => vec![Role::Analyst, Role::Administrator],
        ("GET", "/api/v1/releases/{release}/tables/{table}")
        | ("POST", "/api/v1/sql") => {
            vec![Role::Analyst]
        }
        ("GET", "/api/v1/extract") => vec![Role::Researcher],
        (_, r) if r.starts_with("/api/v1/admin/") => vec![Role::Administrator],
        _ => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_against_every_endpoint() {
    let fixture = fixture();

    // The table and the OpenAPI document name the same endpoints.
    let response = app(&fixture.state)
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let document: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    documented.insert(("GET".to_owned(), "/openapi.json".to_owned()));
    let table: BTreeSet<(String, String)> = ACCESS
        .iter()
        .map(|(m, r, _)| ((*m).to_owned(), (*r).to_owned()))
        .collect();
    assert_eq!(
        documented, table,
        "the access table and /openapi.json list different endpoints"
    );

    let callers = [
        Caller::Anonymous,
        Caller::Token(Role::Public),
        Caller::Token(Role::Analyst),
        Caller::Token(Role::Researcher),
        Caller::Token(Role::Administrator),
    ];
    let mut checked = 0;
    for (serial, (method, route, roles)) in ACCESS.iter().enumerate() {
        let mut roles = roles.to_vec();
        roles.sort();
        let mut specified = specified_roles(method, route);
        specified.sort();
        assert_eq!(
            roles, specified,
            "{method} {route}: table differs from the specification"
        );
        for caller in callers {
            let role = match caller {
                Caller::Anonymous => Role::Public,
                Caller::Token(role) => role,
            };
            let status = status_of(
                &fixture,
                caller,
                request_for(method, route, serial * 10 + checked),
            )
            .await;
            if roles.contains(&role) {
                assert!(
                    status.is_success(),
                    "{caller:?} on {method} {route}: expected success, got {status}"
                );
            } else if caller == Caller::Anonymous || role == Role::Public {
                let expected = if caller == Caller::Anonymous {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(status, expected, "{caller:?} on {method} {route}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{caller:?} on {method} {route}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ACCESS.len() * callers.len());
    // Every request, rejected or not, was recorded.
    assert_eq!(fixture.state.audit.entries(), checked as u64 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_revoked_tokens_are_rejected() {
    let fixture = fixture();
    let request = || {
        Request::get("/api/v1/indicators")
            .header("authorization", "Bearer rnc_0000000000000000000000000000000000000000000000000000000000000000")
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        app(&fixture.state)
            .oneshot(request())
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let analyst = fixture
        .tokens
        .iter()
        .find(|(r, _)| *r == Role::Analyst)
        .unwrap()
        .1
        .clone();
    let with_token = || {
        Request::get("/api/v1/releases")
            .header("authorization", format!("Bearer {analyst}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        app(&fixture.state)
            .oneshot(with_token())
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    fixture.state.access.revoke_token("T0002").unwrap();
    fixture.state.reload_tokens().unwrap();
    assert_eq!(
        app(&fixture.state)
            .oneshot(with_token())
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

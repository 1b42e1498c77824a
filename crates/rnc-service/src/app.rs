//! The router: routes with their OpenAPI description, the authorisation
//! table, and the guard that authenticates, rate-limits, authorises and
//! records every request.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State,
};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::Role;
use crate::api::{self, ApiError, AuditParams};
use crate::audit::AuditRecord;
use crate::state::{AppState, Caller};

use Role::{Administrator, Analyst, Researcher};

/// Roles allowed on each endpoint, by method and route template. Every
/// role may call what the public may call; beyond that, roles do not
/// nest: an administrator manages access but reads no release table and
/// no extract.
pub const ACCESS: &[(&str, &str, &[Role])] = &[
    ("GET", "/", &Role::ALL),
    ("GET", "/health", &Role::ALL),
    ("GET", "/openapi.json", &Role::ALL),
    ("GET", "/api/v1/indicators", &Role::ALL),
    ("GET", "/api/v1/indicators/incidence", &Role::ALL),
    ("GET", "/api/v1/indicators/trends", &Role::ALL),
    ("GET", "/api/v1/indicators/departements", &Role::ALL),
    ("GET", "/api/v1/indicators/survival", &Role::ALL),
    ("GET", "/api/v1/indicators/prevalence", &Role::ALL),
    ("GET", "/api/v1/releases", &[Analyst, Administrator]),
    (
        "GET",
        "/api/v1/releases/{release}/tables/{table}",
        &[Analyst],
    ),
    ("POST", "/api/v1/sql", &[Analyst]),
    ("GET", "/api/v1/extract", &[Researcher]),
    ("GET", "/api/v1/admin/tokens", &[Administrator]),
    ("POST", "/api/v1/admin/tokens", &[Administrator]),
    ("DELETE", "/api/v1/admin/tokens/{id}", &[Administrator]),
    ("GET", "/api/v1/admin/projects", &[Administrator]),
    ("POST", "/api/v1/admin/projects", &[Administrator]),
    (
        "GET",
        "/api/v1/admin/releases/{release}/verify",
        &[Administrator],
    ),
    ("GET", "/api/v1/admin/audit/verify", &[Administrator]),
];

/// Returns the roles allowed on a route, `None` for a route not in
/// [`ACCESS`] (no role may call it).
pub fn allowed_roles(method: &str, route: &str) -> Option<&'static [Role]> {
    ACCESS
        .iter()
        .find(|(m, r, _)| *m == method && *r == route)
        .map(|(_, _, roles)| *roles)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "rnc service",
        description = "Published cancer-registry indicators, release tables by role, research extracts and access management. Every request is recorded in a hash-chained audit log. Send `Authorization: Bearer <token>`; without a token the caller has the public role."
    ),
    modifiers(&SecurityAndRoles)
)]
struct ApiDoc;

/// Adds the bearer scheme and writes each operation's allowed roles into
/// its description, from [`ACCESS`], so that the document states the
/// rules the guard enforces.
struct SecurityAndRoles;

impl utoipa::Modify for SecurityAndRoles {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components =
            openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("GET", item.get.as_mut()),
                ("POST", item.post.as_mut()),
                ("DELETE", item.delete.as_mut()),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                let roles = allowed_roles(method, path).unwrap_or(&[]);
                let names: Vec<&str> = roles.iter().map(|r| r.name()).collect();
                let text = format!("Roles: {}.", names.join(", "));
                operation.description =
                    Some(match operation.description.take() {
                        Some(existing) => format!("{existing}\n\n{text}"),
                        None => text,
                    });
            }
        }
    }
}

/// Builds the router with its OpenAPI document.
pub fn router(state: Arc<AppState>) -> Router {
    let (routes, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::dashboard))
        .routes(routes!(api::health))
        .routes(routes!(api::indicator_list))
        .routes(routes!(api::incidence))
        .routes(routes!(api::trends))
        .routes(routes!(api::departements))
        .routes(routes!(api::survival))
        .routes(routes!(api::prevalence))
        .routes(routes!(api::releases))
        .routes(routes!(api::release_table))
        .routes(routes!(api::sql))
        .routes(routes!(api::extract))
        .routes(routes!(api::list_tokens, api::create_token))
        .routes(routes!(api::revoke_token))
        .routes(routes!(api::list_projects, api::create_project))
        .routes(routes!(api::verify_release))
        .routes(routes!(api::verify_audit))
        .split_for_parts();
    let document = openapi
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    let timeout = state.config.request_timeout;
    let body_limit = state.config.body_limit;
    routes
        .route(
            "/openapi.json",
            axum::routing::get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    document.clone(),
                )
            }),
        )
        .fallback(api::not_found)
        .with_state(state.clone())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(middleware::from_fn_with_state(state, guard))
}

/// Authenticates, rate-limits and authorises a request, runs it and
/// records it in the audit log. A request whose audit entry cannot be
/// written gets 503 Service Unavailable instead of its result, so that
/// nothing is served unrecorded.
async fn guard(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    // Tests without a socket give the address through MockConnectInfo.
    let extensions = request.extensions();
    let address = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| {
            extensions.get::<MockConnectInfo<SocketAddr>>().map(|c| c.0)
        });
    let client =
        address.map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let mut record = AuditRecord {
        who: "anonymous".to_owned(),
        role: Role::Public.name().to_owned(),
        client: client.clone(),
        method: method.as_str().to_owned(),
        endpoint: route.clone().unwrap_or_else(|| "unmatched".to_owned()),
        ..AuditRecord::default()
    };

    let response =
        match authorise(&state, &request, &client, &method, route.as_deref()) {
            Ok(caller) => {
                record.who = caller.token_id.clone();
                record.role = caller.role.name().to_owned();
                request.extensions_mut().insert(caller);
                next.run(request).await
            }
            Err((caller, error)) => {
                if let Some(caller) = caller {
                    record.who = caller.token_id;
                    record.role = caller.role.name().to_owned();
                }
                error.into_response()
            }
        };

    record.status = response.status().as_u16();
    record.duration_ms =
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if let Some(params) = response.extensions().get::<AuditParams>() {
        record.params = params.0.clone();
    }
    log_outcome(&record);
    if let Err(error) = state.audit.append(&record) {
        tracing::error!(%error, endpoint = %record.endpoint, "audit entry could not be written; the request got 503 instead of its result");
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the audit log cannot be written, so the request was not served; try again later",
        )
        .into_response();
    }
    let mut response = response;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Logs an error response: 5xx as errors, other rejections at info
/// level, because they are the client's to fix. Rate-limit rejections are logged
/// only at debug level, so that a flood does not flood the log too.
fn log_outcome(record: &AuditRecord) {
    match record.status {
        500..=599 => tracing::error!(
            status = record.status,
            endpoint = %record.endpoint,
            who = %record.who,
            "request failed"
        ),
        429 => {
            tracing::debug!(who = %record.who, client = %record.client, "rate limit reached")
        }
        400..=499 => tracing::info!(
            status = record.status,
            endpoint = %record.endpoint,
            who = %record.who,
            "request rejected"
        ),
        _ => {}
    }
}

type Rejection = (Option<Caller>, ApiError);

fn authorise(
    state: &AppState,
    request: &Request,
    client: &str,
    method: &Method,
    route: Option<&str>,
) -> Result<Caller, Rejection> {
    let caller = match request.headers().get(header::AUTHORIZATION) {
        None => Caller::anonymous(),
        Some(value) => {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            match token.and_then(|t| state.caller_of(t)) {
                Some(caller) => caller,
                None => {
                    limit(state, &format!("ip:{client}"), None)?;
                    return Err((
                        None,
                        ApiError::new(
                            StatusCode::UNAUTHORIZED,
                            "invalid, unknown or revoked bearer token",
                        ),
                    ));
                }
            }
        }
    };
    let key = if caller.role == Role::Public {
        format!("ip:{client}")
    } else {
        format!("token:{}", caller.token_id)
    };
    limit(state, &key, Some(&caller))?;
    let Some(route) = route else {
        // Unmatched paths reach the fallback, which returns 404.
        return Ok(caller);
    };
    let allowed = allowed_roles(method.as_str(), route);
    match allowed {
        Some(roles) if roles.contains(&caller.role) => Ok(caller),
        // The router returns 405 for a method the route does not have.
        None => Ok(caller),
        Some(_) if caller == Caller::anonymous() => Err((
            Some(caller),
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this endpoint needs a bearer token",
            ),
        )),
        Some(_) => Err((
            Some(caller),
            ApiError::new(
                StatusCode::FORBIDDEN,
                "this endpoint is not open to your role",
            ),
        )),
    }
}

fn limit(
    state: &AppState,
    key: &str,
    caller: Option<&Caller>,
) -> Result<(), Rejection> {
    state.limiter.check_key(&key.to_owned()).map_err(|_| {
        (
            caller.cloned(),
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate limit reached; slow down and try again in a second",
            ),
        )
    })
}

/// Collects validated parameters for the audit log.
pub(crate) fn audit_params(pairs: &[(&str, String)]) -> AuditParams {
    AuditParams(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

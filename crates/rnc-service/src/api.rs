//! The endpoints. Each validates its parameters against closed lists or
//! ranges, and an error names the parameter but never repeats the value
//! sent, since a value sent by mistake could be an identifier.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{Project, Role, TokenEntry};
use crate::app::audit_params;
use crate::cohorts::{PrevalenceRow, SurvivalRow};
use crate::indicators::{DepartementRow, IncidenceRow, TrendRow};
use crate::state::{AppState, Caller};

/// An error answer: a status and a message that holds no submitted value.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: axum::http::StatusCode,
    message: String,
}

impl ApiError {
    /// An error with a fixed message.
    pub fn new(status: StatusCode, message: &str) -> ApiError {
        ApiError {
            status,
            message: message.to_owned(),
        }
    }

    fn bad_parameter(name: &str, expected: &str) -> ApiError {
        // The name comes from the handler's own list, never from the
        // request.
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: format!(
                "invalid value for parameter {name} (expected {expected})"
            ),
        }
    }

    fn internal(error: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(%error, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; the service log has the details",
        )
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What failed and what to do.
    pub error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}

/// Validated parameters of a request, for its audit entry.
#[derive(Debug, Clone, Default)]
pub struct AuditParams(pub BTreeMap<String, String>);

/// Query parameters, taken one by one by name; any left over is an
/// error.
pub struct Params(BTreeMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Params, ApiError> {
        let Query(pairs) =
            Query::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid query string",
                    )
                })?;
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            if map.insert(name, value).is_some() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "a query parameter is repeated",
                ));
            }
        }
        Ok(Params(map))
    }
}

impl Params {
    fn choice(
        &mut self,
        name: &str,
        allowed: &[String],
    ) -> Result<Option<String>, ApiError> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(value) if allowed.contains(&value) => Ok(Some(value)),
            Some(_) => Err(ApiError::bad_parameter(
                name,
                "one of the values listed by GET /api/v1/indicators",
            )),
        }
    }

    fn number(
        &mut self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, ApiError> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(value) => value
                .parse::<i64>()
                .ok()
                .filter(|n| range.contains(n))
                .map(Some)
                .ok_or_else(|| {
                    ApiError::bad_parameter(
                        name,
                        &format!(
                            "a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                }),
        }
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "unknown query parameter; the OpenAPI document at /openapi.json lists each endpoint's parameters",
            ))
        }
    }
}

fn owned(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

const SEX_CHOICES: [&str; 3] = ["female", "male", "both"];

/// What every indicator answer starts with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Meta {
    /// Release served.
    pub release: String,
    /// First and last year of incidence counted.
    pub period: [i64; 2],
    /// Counts from 1 to this value - 1 are suppressed, with the counts
    /// that would give them back by difference.
    pub small_cell_threshold: u64,
}

fn meta(state: &AppState) -> Meta {
    let published = &state.published;
    Meta {
        release: published.facts.release.release_id.clone(),
        period: [published.incidence.period.0, published.incidence.period.1],
        small_cell_threshold: published.threshold,
    }
}

/// The dashboard: plots of the published indicators, with no script and
/// no resource from another site.
#[utoipa::path(get, path = "/", tag = "public",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn dashboard(State(state): State<Arc<AppState>>) -> Html<String> {
    Html(state.published.dashboard.clone())
}

/// Health of the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Release served.
    pub release: String,
    /// Entries in the audit log.
    pub audit_entries: u64,
}

/// Tells whether the service runs, and which release it serves.
#[utoipa::path(get, path = "/health", tag = "public",
    responses((status = 200, body = Health)))]
pub async fn health(State(state): State<Arc<AppState>>) -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        release: state.published.facts.release.release_id.clone(),
        audit_entries: state.audit.entries(),
    })
}

/// The indicators published and the values their filters take.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorList {
    #[serde(flatten)]
    /// Release, period and threshold.
    pub meta: Meta,
    /// Paths of the indicator endpoints. Pathway indicators join this
    /// list when a release carries them.
    pub indicators: Vec<String>,
    /// Site group codes.
    pub site_groups: Vec<String>,
    /// `female`, `male`, `both`.
    pub sexes: Vec<String>,
    /// INSEE département codes, and `unknown`.
    pub departements: Vec<String>,
    /// Duration bands of prevalence.
    pub durations: Vec<String>,
    /// Closing date of follow-up and index date of prevalence.
    pub closing_date: Option<String>,
}

/// Lists the published indicators and the values of their filters.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "public",
    responses((status = 200, body = IndicatorList)))]
pub async fn indicator_list(
    State(state): State<Arc<AppState>>,
) -> Json<IndicatorList> {
    let published = &state.published;
    Json(IndicatorList {
        meta: meta(&state),
        indicators: owned(&[
            "/api/v1/indicators/incidence",
            "/api/v1/indicators/trends",
            "/api/v1/indicators/departements",
            "/api/v1/indicators/survival",
            "/api/v1/indicators/prevalence",
        ]),
        site_groups: site_groups(&state),
        sexes: owned(&SEX_CHOICES),
        departements: departement_codes(&state),
        durations: owned(&crate::cohorts::DURATION_BANDS),
        closing_date: published.cohorts.closing_date.map(|d| d.to_string()),
    })
}

fn site_groups(state: &AppState) -> Vec<String> {
    crate::indicators::distinct(&state.published.incidence.incidence, |r| {
        r.site_group.clone()
    })
}

fn departement_codes(state: &AppState) -> Vec<String> {
    crate::indicators::distinct(&state.published.incidence.departements, |r| {
        r.departement.clone()
    })
}

/// Incidence rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidenceResponse {
    #[serde(flatten)]
    /// Release, period and threshold.
    pub meta: Meta,
    /// One row per site group and sex.
    pub rows: Vec<IncidenceRow>,
}

/// Incidence by site group and sex over the period, with age bands;
/// suppressed counts and their rates are absent.
#[utoipa::path(get, path = "/api/v1/indicators/incidence", tag = "public",
    params(
        ("site_group" = Option<String>, Query, description = "Site group code, or all_sites"),
        ("sex" = Option<String>, Query, description = "female, male or both"),
    ),
    responses((status = 200, body = IncidenceResponse), (status = 400, body = ErrorBody)))]
pub async fn incidence(
    State(state): State<Arc<AppState>>,
    mut params: Params,
) -> Result<Response, ApiError> {
    let site = params.choice("site_group", &site_groups(&state))?;
    let sex = params.choice("sex", &owned(&SEX_CHOICES))?;
    params.finish()?;
    let rows = state
        .published
        .incidence
        .incidence
        .iter()
        .filter(|r| site.as_ref().is_none_or(|s| *s == r.site_group))
        .filter(|r| sex.as_ref().is_none_or(|s| *s == r.sex))
        .cloned()
        .collect();
    let audit = audit_params(&filters(&[("site_group", &site), ("sex", &sex)]));
    Ok((
        Extension(audit),
        Json(IncidenceResponse {
            meta: meta(&state),
            rows,
        }),
    )
        .into_response())
}

fn filters<'a>(pairs: &[(&'a str, &Option<String>)]) -> Vec<(&'a str, String)> {
    pairs
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| (*name, v.clone())))
        .collect()
}

/// Incidence rows by year.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendResponse {
    #[serde(flatten)]
    /// Release, period and threshold.
    pub meta: Meta,
    /// One row per site group, sex and year.
    pub rows: Vec<TrendRow>,
}

/// Incidence by site group, sex and year of incidence.
#[utoipa::path(get, path = "/api/v1/indicators/trends", tag = "public",
    params(
        ("site_group" = Option<String>, Query, description = "Site group code, or all_sites"),
        ("sex" = Option<String>, Query, description = "female, male or both"),
        ("year" = Option<i64>, Query, description = "Year of incidence"),
    ),
    responses((status = 200, body = TrendResponse), (status = 400, body = ErrorBody)))]
pub async fn trends(
    State(state): State<Arc<AppState>>,
    mut params: Params,
) -> Result<Response, ApiError> {
    let site = params.choice("site_group", &site_groups(&state))?;
    let sex = params.choice("sex", &owned(&SEX_CHOICES))?;
    let (first, last) = state.published.incidence.period;
    let year = params.number("year", first..=last)?;
    params.finish()?;
    let rows = state
        .published
        .incidence
        .trends
        .iter()
        .filter(|r| site.as_ref().is_none_or(|s| *s == r.site_group))
        .filter(|r| sex.as_ref().is_none_or(|s| *s == r.sex))
        .filter(|r| year.is_none_or(|y| y == r.year))
        .cloned()
        .collect();
    let year_text = year.map(|y| y.to_string());
    let audit = audit_params(&filters(&[
        ("site_group", &site),
        ("sex", &sex),
        ("year", &year_text),
    ]));
    Ok((
        Extension(audit),
        Json(TrendResponse {
            meta: meta(&state),
            rows,
        }),
    )
        .into_response())
}

/// Incidence rows by département.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartementResponse {
    #[serde(flatten)]
    /// Release, period and threshold.
    pub meta: Meta,
    /// One row per département and sex.
    pub rows: Vec<DepartementRow>,
}

/// Incidence of all sites by sex and département of residence.
#[utoipa::path(get, path = "/api/v1/indicators/departements", tag = "public",
    params(
        ("departement" = Option<String>, Query, description = "INSEE département code, unknown or all"),
        ("sex" = Option<String>, Query, description = "female, male or both"),
    ),
    responses((status = 200, body = DepartementResponse), (status = 400, body = ErrorBody)))]
pub async fn departements(
    State(state): State<Arc<AppState>>,
    mut params: Params,
) -> Result<Response, ApiError> {
    let departement =
        params.choice("departement", &departement_codes(&state))?;
    let sex = params.choice("sex", &owned(&SEX_CHOICES))?;
    params.finish()?;
    let rows = state
        .published
        .incidence
        .departements
        .iter()
        .filter(|r| departement.as_ref().is_none_or(|d| *d == r.departement))
        .filter(|r| sex.as_ref().is_none_or(|s| *s == r.sex))
        .cloned()
        .collect();
    let audit =
        audit_params(&filters(&[("departement", &departement), ("sex", &sex)]));
    Ok((
        Extension(audit),
        Json(DepartementResponse {
            meta: meta(&state),
            rows,
        }),
    )
        .into_response())
}

/// Survival rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurvivalResponse {
    #[serde(flatten)]
    /// Release, period and threshold.
    pub meta: Meta,
    /// Closing date of follow-up.
    pub closing_date: Option<String>,
    /// One row per site group.
    pub rows: Vec<SurvivalRow>,
}

/// Observed (Kaplan-Meier) survival at 1, 3 and 5 years by site group,
/// both sexes, for cohorts of at least the small-cell threshold.
#[utoipa::path(get, path = "/api/v1/indicators/survival", tag = "public",
    params(("site_group" = Option<String>, Query, description = "Site group code, or all_sites")),
    responses((status = 200, body = SurvivalResponse), (status = 400, body = ErrorBody)))]
pub async fn survival(
    State(state): State<Arc<AppState>>,
    mut params: Params,
) -> Result<Response, ApiError> {
    let cohorts = &state.published.cohorts;
    let sites: Vec<String> = cohorts
        .survival
        .iter()
        .map(|r| r.site_group.clone())
        .collect();
    let site = params.choice("site_group", &sites)?;
    params.finish()?;
    let rows = cohorts
        .survival
        .iter()
        .filter(|r| site.as_ref().is_none_or(|s| *s == r.site_group))
        .cloned()
        .collect();
    let audit = audit_params(&filters(&[("site_group", &site)]));
    let answer = SurvivalResponse {
        meta: meta(&state),
        closing_date: cohorts.closing_date.map(|d| d.to_string()),
        rows,
    };
    Ok((Extension(audit), Json(answer)).into_response())
}

/// Prevalence rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrevalenceResponse {
    #[serde(flatten)]
    /// Release, period and threshold.
    pub meta: Meta,
    /// Index date.
    pub index_date: Option<String>,
    /// One row per site group, sex and duration.
    pub rows: Vec<PrevalenceRow>,
}

/// Persons alive at the index date by site group, sex and years since
/// diagnosis.
#[utoipa::path(get, path = "/api/v1/indicators/prevalence", tag = "public",
    params(
        ("site_group" = Option<String>, Query, description = "Site group code, or all_sites"),
        ("sex" = Option<String>, Query, description = "female, male or both"),
        ("duration" = Option<String>, Query, description = "0-1, 1-5, 5+ or all"),
    ),
    responses((status = 200, body = PrevalenceResponse), (status = 400, body = ErrorBody)))]
pub async fn prevalence(
    State(state): State<Arc<AppState>>,
    mut params: Params,
) -> Result<Response, ApiError> {
    let cohorts = &state.published.cohorts;
    let sites = crate::indicators::distinct(&cohorts.prevalence, |r| {
        r.site_group.clone()
    });
    let site = params.choice("site_group", &sites)?;
    let sex = params.choice("sex", &owned(&SEX_CHOICES))?;
    let mut durations = owned(&crate::cohorts::DURATION_BANDS);
    durations.push("all".to_owned());
    let duration = params.choice("duration", &durations)?;
    params.finish()?;
    let rows = cohorts
        .prevalence
        .iter()
        .filter(|r| site.as_ref().is_none_or(|s| *s == r.site_group))
        .filter(|r| sex.as_ref().is_none_or(|s| *s == r.sex))
        .filter(|r| duration.as_ref().is_none_or(|d| *d == r.duration))
        .cloned()
        .collect();
    let audit = audit_params(&filters(&[
        ("site_group", &site),
        ("sex", &sex),
        ("duration", &duration),
    ]));
    let answer = PrevalenceResponse {
        meta: meta(&state),
        index_date: cohorts.closing_date.map(|d| d.to_string()),
        rows,
    };
    Ok((Extension(audit), Json(answer)).into_response())
}

/// A release and its tables.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseSummary {
    /// Release id.
    pub release: String,
    /// UTC creation time.
    pub created_at: String,
    /// Tables with their row counts.
    pub tables: BTreeMap<String, u64>,
}

/// Lists the registry's releases.
#[utoipa::path(get, path = "/api/v1/releases", tag = "analyst",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ReleaseSummary>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn releases(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<ReleaseSummary>>, ApiError> {
    let catalogue = state
        .registry
        .catalogue()
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(
        catalogue
            .releases
            .iter()
            .map(|r| ReleaseSummary {
                release: r.release_id.clone(),
                created_at: r.created_at.clone(),
                tables: r
                    .tables
                    .iter()
                    .filter(|t| t.file.ends_with(".parquet"))
                    .map(|t| (t.name.clone(), t.rows))
                    .collect(),
            })
            .collect(),
    ))
}

/// Largest number of rows one table request returns.
const MAX_TABLE_ROWS: i64 = 10_000;

/// Returns the release entry with this id after checking its files once
/// per process; later requests reuse the check.
fn checked_release(
    state: &AppState,
    release: &str,
) -> Result<rnc_store::ReleaseEntry, ApiError> {
    static CHECKED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let checked = CHECKED.get_or_init(Default::default);
    let catalogue = state
        .registry
        .catalogue()
        .map_err(|e| ApiError::internal(&e))?;
    let entry = catalogue
        .releases
        .into_iter()
        .find(|r| r.release_id == release)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "release not found; GET /api/v1/releases lists them",
            )
        })?;
    let key = state
        .registry
        .root()
        .join(&entry.release_id)
        .display()
        .to_string();
    if checked
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&key)
    {
        return Ok(entry);
    }
    let problems = state
        .registry
        .verify_release(&entry)
        .map_err(|e| ApiError::internal(&e))?;
    if !problems.is_empty() {
        tracing::error!(release = %entry.release_id, problems = %problems.join(", "), "release failed verification");
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "the release failed verification against its manifest; an administrator must restore it",
        ));
    }
    checked
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key);
    Ok(entry)
}

/// Runs a read-only query on a release on its own thread, because the
/// SQL layer drives its own asynchronous runtime.
// NOTE: when the request times out, the client gets 408 but the query's
// thread runs on to its end, because DataFusion's run cannot be cancelled
// from here. A query that never ends holds its thread until the service
// stops.
async fn query_release(
    state: &AppState,
    release: &str,
    query: String,
) -> Result<String, ApiError> {
    let dir = state.registry.release_dir(release);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let result = rnc_store::sql::run_sql(&dir, &query)
            .and_then(|batches| rnc_store::sql::format_csv(&batches));
        let _ = sender.send(result);
    });
    match receiver.await {
        Ok(Ok(csv)) => Ok(csv),
        Ok(Err(error)) => {
            tracing::info!(%error, "query rejected");
            Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "the query failed to parse or plan, or is not a read-only SELECT",
            ))
        }
        Err(_) => Err(ApiError::internal(&"the query thread stopped")),
    }
}

fn csv_response(csv: String, audit: AuditParams) -> Response {
    (
        Extension(audit),
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        csv,
    )
        .into_response()
}

/// One release table as CSV, `limit` rows from `offset`.
#[utoipa::path(get, path = "/api/v1/releases/{release}/tables/{table}", tag = "analyst",
    security(("bearer" = [])),
    params(
        ("release" = String, Path, description = "Release id, such as R0001"),
        ("table" = String, Path, description = "persons, tumours, source_records, link_pairs, quality_checks or population"),
        ("limit" = Option<i64>, Query, description = "Rows to return, 1 to 10000 (default 1000)"),
        ("offset" = Option<i64>, Query, description = "Rows to skip (default 0)"),
    ),
    responses((status = 200, description = "CSV with a header line", content_type = "text/csv"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn release_table(
    State(state): State<Arc<AppState>>,
    Path((release, table)): Path<(String, String)>,
    mut params: Params,
) -> Result<Response, ApiError> {
    let limit = params.number("limit", 1..=MAX_TABLE_ROWS)?.unwrap_or(1000);
    let offset = params.number("offset", 0..=i64::MAX)?.unwrap_or(0);
    params.finish()?;
    let entry = checked_release(&state, &release)?;
    // The table name goes into the query only once it matches a Parquet
    // table of the manifest.
    let known = entry
        .tables
        .iter()
        .any(|t| t.name == table && t.file.ends_with(".parquet"));
    if !known {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "table not found in this release",
        ));
    }
    let query = format!("SELECT * FROM {table} LIMIT {limit} OFFSET {offset}");
    let csv = query_release(&state, &entry.release_id, query).await?;
    let audit = audit_params(&[
        ("release", entry.release_id.clone()),
        ("table", table),
        ("limit", limit.to_string()),
        ("offset", offset.to_string()),
    ]);
    Ok(csv_response(csv, audit))
}

/// A read-only SQL query.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SqlRequest {
    /// Release id, else the release served.
    pub release: Option<String>,
    /// One SELECT statement on the release's tables.
    pub query: String,
}

fn parse_body<T: serde::de::DeserializeOwned>(
    body: &Bytes,
    expected: &str,
) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|_| ApiError {
        status: StatusCode::BAD_REQUEST,
        message: format!("invalid JSON body (expected {expected})"),
    })
}

/// Runs one read-only SQL query on a release and returns CSV. The audit
/// entry records the query's SHA-256, not its text.
#[utoipa::path(post, path = "/api/v1/sql", tag = "analyst",
    security(("bearer" = [])),
    request_body = SqlRequest,
    responses((status = 200, description = "CSV with a header line", content_type = "text/csv"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn sql(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: SqlRequest =
        parse_body(&body, r#"{"query": "SELECT …", "release": "R0001"}"#)?;
    let release = match &request.release {
        Some(id) => id.clone(),
        None => state.published.facts.release.release_id.clone(),
    };
    let entry = checked_release(&state, &release)?;
    let digest = crate::access::token_sha256(&request.query);
    let csv = query_release(&state, &entry.release_id, request.query).await?;
    let audit = audit_params(&[
        ("release", entry.release_id),
        ("query_sha256", digest),
    ]);
    Ok(csv_response(csv, audit))
}

/// Returns the extract of the caller's approved project.
#[utoipa::path(get, path = "/api/v1/extract", tag = "researcher",
    security(("bearer" = [])),
    responses((status = 200, body = crate::extract::Extract),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn extract(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    let project_id = caller.project.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "this token is bound to no project",
        )
    })?;
    let access = state.access.read().map_err(|e| ApiError::internal(&e))?;
    let project =
        access.projects.get(&project_id).cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "the token's project is no longer approved",
            )
        })?;
    let worker = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        crate::extract::build_extract(&worker.published, &worker.key, &project)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let extract = result.map_err(|error| {
        tracing::warn!(project = %project_id, %error, "extract withheld");
        ApiError::new(
            StatusCode::CONFLICT,
            "the extract failed the k-anonymity check and was not delivered; ask the registry to coarsen it",
        )
    })?;
    let audit = audit_params(&[
        ("project", project_id),
        ("rows", extract.rows.len().to_string()),
        ("withheld", extract.withheld_rows.to_string()),
    ]);
    Ok((Extension(audit), Json(extract)).into_response())
}

/// Lists issued tokens, without their hashes.
#[utoipa::path(get, path = "/api/v1/admin/tokens", tag = "administrator",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenEntry>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<TokenEntry>>, ApiError> {
    let access = state.access.read().map_err(|e| ApiError::internal(&e))?;
    Ok(Json(
        access
            .tokens
            .into_iter()
            .map(|mut t| {
                t.sha256.clear();
                t
            })
            .collect(),
    ))
}

/// A token to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Holder: a team or service name.
    pub name: String,
    /// Role of the token.
    pub role: Role,
    /// Approved project, for a researcher token.
    pub project: Option<String>,
}

/// A token just issued: the only time it is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    /// The bearer token; only its SHA-256 is stored.
    pub token: String,
    /// Its entry.
    pub entry: TokenEntry,
}

/// Issues a token.
#[utoipa::path(post, path = "/api/v1/admin/tokens", tag = "administrator",
    security(("bearer" = [])),
    request_body = NewToken,
    responses((status = 201, body = IssuedToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: NewToken = parse_body(
        &body,
        r#"{"name": "…", "role": "analyst", "project": null}"#,
    )?;
    let (mut entry, token) = state
        .access
        .create_token(&request.name, request.role, request.project.as_deref())
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "the token was not issued: a researcher token needs an approved project, and only researcher tokens take one",
            )
        })?;
    state.reload_tokens().map_err(|e| ApiError::internal(&e))?;
    entry.sha256.clear();
    let audit = audit_params(&[
        ("token", entry.id.clone()),
        ("role", entry.role.name().to_owned()),
    ]);
    Ok((
        StatusCode::CREATED,
        Extension(audit),
        Json(IssuedToken { token, entry }),
    )
        .into_response())
}

/// Revokes a token.
#[utoipa::path(delete, path = "/api/v1/admin/tokens/{id}", tag = "administrator",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Token id, such as T0003")),
    responses((status = 200, body = TokenEntry), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut entry = state
        .access
        .revoke_token(&id)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "token not found"))?;
    state.reload_tokens().map_err(|e| ApiError::internal(&e))?;
    entry.sha256.clear();
    let audit = audit_params(&[("token", entry.id.clone())]);
    Ok((Extension(audit), Json(entry)).into_response())
}

/// Lists approved projects.
#[utoipa::path(get, path = "/api/v1/admin/projects", tag = "administrator",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Project>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_projects(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<Project>>, ApiError> {
    let access = state.access.read().map_err(|e| ApiError::internal(&e))?;
    Ok(Json(access.projects.into_values().collect()))
}

/// A project to approve.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// Project id: 1 to 32 letters, digits or `-`.
    pub id: String,
    /// Title of the approved protocol.
    pub title: String,
    /// Smallest number of persons sharing one combination of
    /// quasi-identifiers (2 or more).
    pub k: u32,
}

/// Approves a project.
#[utoipa::path(post, path = "/api/v1/admin/projects", tag = "administrator",
    security(("bearer" = [])),
    request_body = NewProject,
    responses((status = 201, body = Project), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_project(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: NewProject =
        parse_body(&body, r#"{"id": "P2025-01", "title": "…", "k": 5}"#)?;
    let project = state.access.add_project(&request.id, &request.title, request.k).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "the project was not added: the id must be new and made of 1 to 32 letters, digits or '-', and k at least 2",
        )
    })?;
    let audit = audit_params(&[
        ("project", project.id.clone()),
        ("k", project.k.to_string()),
    ]);
    Ok((StatusCode::CREATED, Extension(audit), Json(project)).into_response())
}

/// The result of a verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    /// True when nothing was found.
    pub intact: bool,
    /// One line per problem.
    pub problems: Vec<String>,
    /// Entries or files checked.
    pub checked: u64,
}

/// Checks a release's files against its manifest.
#[utoipa::path(get, path = "/api/v1/admin/releases/{release}/verify", tag = "administrator",
    security(("bearer" = [])),
    params(("release" = String, Path, description = "Release id")),
    responses((status = 200, body = Verification), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn verify_release(
    State(state): State<Arc<AppState>>,
    Path(release): Path<String>,
) -> Result<Response, ApiError> {
    let entry = state.registry.release(&release).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "release not found; GET /api/v1/releases lists them",
        )
    })?;
    let problems = state
        .registry
        .verify_release(&entry)
        .map_err(|e| ApiError::internal(&e))?;
    let audit = audit_params(&[("release", entry.release_id.clone())]);
    let answer = Verification {
        intact: problems.is_empty(),
        checked: entry.tables.len() as u64,
        problems,
    };
    Ok((Extension(audit), Json(answer)).into_response())
}

/// Verifies the audit log's hash chain and signed head.
#[utoipa::path(get, path = "/api/v1/admin/audit/verify", tag = "administrator",
    security(("bearer" = [])),
    responses((status = 200, body = Verification), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn verify_audit(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Verification>, ApiError> {
    state
        .audit
        .write_head()
        .map_err(|e| ApiError::internal(&e))?;
    let report = crate::audit::verify_audit_log(
        &crate::state::audit_log_path(&state.config.registry),
        Some((&state.config.audit_head, &state.key)),
        &[],
    )
    .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(Verification {
        intact: report.problems.is_empty(),
        problems: report.problems,
        checked: report.entries,
    }))
}

/// Returns 404 for a path that matches no endpoint, without repeating it.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint; /openapi.json lists them",
    )
}

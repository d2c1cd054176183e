//! Reports a person reads: SVG charts (a plan's fulfilment, a measure's indicator, a
//! cooperation's timeline, the pipeline) and printable HTML pages (a partnership's report, a
//! plan's monitoring report, the Agency's portfolio), and the signed links that open them in a
//! browser (`POST /links`, [`crate::auth::links`]). The figures come from the same
//! computations as the JSON reports; `render` only draws them, `service::reports` gathers them.
//!
//! Every page and chart takes `lang` (`cs`, default, or `en`; else `Accept-Language`) and, instead
//! of an `Authorization` header, a signed link's `exp` and `sig`.

use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use domain::access::Action;
use domain::codelist::MeasureKind;
use persistence::esif;
use serde::{Deserialize, Serialize};
use service::cooperations;
use service::reports::{PageRef, PartnershipReport};
use service::{monitoring, plans};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::links::{DEFAULT_TTL, LinkKey, MAX_TTL, MaybePageReader, PageReader};
use crate::auth::{Auth, TokenService};
use crate::error::{ApiError, ApiResult, ReadErrors, WriteErrors};
use crate::http::AppState;
use crate::http::JsonBody as _;
use crate::render::page::{GoalSection, MeasureLine, MeetingLine, Monitoring, PlanSection, ProjectLine, ReportPage};
use crate::render::{Lang, page, plan_page, portfolio, svg};

pub const SVG: &str = "image/svg+xml";
pub const HTML: &str = "text/html";

/// An RFC 8288 `Link` header naming other representations of a resource: `(path, media type)`.
pub fn alternate(links: &[(&str, &str)]) -> (HeaderName, String) {
    let value = links.iter().map(|(path, media)| format!("<{path}>; rel=\"alternate\"; type=\"{media}\"")).collect::<Vec<_>>().join(", ");
    (header::LINK, value)
}

/// A response with an RFC 8288 `Link` header ([`alternate`]) added.
pub fn with_alternate(mut res: HttpResponse, links: &[(&str, &str)]) -> HttpResponse {
    let (name, value) = alternate(links);
    if let Ok(value) = header::HeaderValue::from_str(&value) {
        res.headers_mut().insert(name, value);
    }
    res
}

fn lang_of(req: &HttpRequest, query: Option<Lang>) -> Lang {
    Lang::pick(query, req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

fn answer(content_type: &str, lang: Lang, body: String) -> HttpResponse {
    let content_type = if content_type == HTML { "text/html; charset=utf-8" } else { content_type };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .insert_header((header::VARY, "Accept-Language"))
        // A page opened through a signed link must not outlive it in a shared cache.
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The day and language of a page or chart, and a signed link's parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Default today (UTC).
    pub as_of: Option<NaiveDate>,
    /// `cs` (default) or `en`; otherwise `Accept-Language` decides.
    #[param(inline)]
    pub lang: Option<Lang>,
    /// A signed link's expiry (Unix seconds), with `sig`: instead of a bearer token
    /// (`POST /api/v1/links`). An expired or altered link, or one minted for another path, is a 401;
    /// a link's parameters beside a bearer token, a 400.
    #[param(minimum = 0)]
    pub exp: Option<i64>,
    /// A signed link's signature, with `exp`.
    pub sig: Option<String>,
}

/// The language of a chart or page, and a signed link's parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `cs` (default) or `en`; otherwise `Accept-Language` decides.
    #[param(inline)]
    pub lang: Option<Lang>,
    /// A signed link's expiry (Unix seconds), with `sig`: instead of a bearer token
    /// (`POST /api/v1/links`). An expired or altered link, or one minted for another path, is a 401;
    /// a link's parameters beside a bearer token, a 400.
    #[param(minimum = 0)]
    pub exp: Option<i64>,
    /// A signed link's signature, with `exp`.
    pub sig: Option<String>,
}

/// The plan's fulfilment as an SVG chart: the completed share per goal, and the counts of
/// measures (total, completed, overdue, unreported) with the completed share, the same
/// figures as `GET /strategic-plans/{id}/fulfilment`. Each figure is a `<text>` marked
/// `data-name`; the chart has a `<title>` and a `<desc>`.
#[utoipa::path(operation_id = "get_strategic_plan_fulfilment_chart", tag = "views", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "The chart", body = String, content_type = "image/svg+xml"), ReadErrors))]
#[get("/strategic-plans/{id}/fulfilment.svg")]
pub async fn fulfilment_chart(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageReader(who): PageReader,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    let conn = state.store.conn();
    let fulfilment = plans::fulfilment(conn, &who, *id, query.as_of.unwrap_or_else(today)).await?;
    let plan = plans::get(conn, Some(&who), *id).await?;
    Ok(answer(SVG, lang, svg::fulfilment_chart(&plan.data.data.title, &fulfilment, lang)))
}

/// The pipeline as an SVG chart: intents → submitted → approved per programme, with the sums
/// requested and approved (every programme; the figures of `GET /reports/pipeline`). For the
/// Agency and the ministry: partners 403.
#[utoipa::path(operation_id = "get_pipeline_chart", tag = "views", params(LangQuery), security(("bearer" = [])),
    responses((status = 200, description = "The chart", body = String, content_type = "image/svg+xml"),
        (status = 403, description = "Partners see their own projects, not the pipeline of all partnerships", body = crate::error::Problem, content_type = "application/problem+json"), ReadErrors))]
#[get("/reports/pipeline.svg")]
pub async fn pipeline_chart(state: web::Data<AppState>, req: HttpRequest, PageReader(who): PageReader, query: web::Query<LangQuery>) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    who.authorize(Action::ReadPipeline).map_err(service::Error::from)?;
    let stats = esif::call_stats(state.store.conn(), None, None).await?;
    let programmes = crate::routes::reports::figures_by_programme(stats)?;
    Ok(answer(SVG, lang, svg::pipeline_chart(&programmes, lang)))
}

/// A measure's indicator as an SVG chart: the value of each reporting period, the actual value
/// as of each period's end under the indicator's aggregation, baseline and target, and the
/// actual value and attainment as of `as_of` (the figures of
/// `GET /measures/{id}/indicators/{key}/attainment`, each a `<text data-name>`). Access as
/// that JSON: readers of the partnership.
#[utoipa::path(operation_id = "get_measure_indicator_chart", tag = "views",
    params(("id" = Uuid, Path, description = "The measure"), ("key" = String, Path, description = "The indicator's key in the measure"), PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "The chart", body = String, content_type = "image/svg+xml"), ReadErrors))]
#[get("/measures/{id}/indicators/{key}/chart.svg")]
pub async fn indicator_chart(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageReader(who): PageReader,
    path: web::Path<(Uuid, String)>,
    query: web::Query<PageQuery>,
) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    let (id, key) = path.into_inner();
    let indicator = monitoring::indicator_state(state.store.conn(), &who, id, &key, query.as_of.unwrap_or_else(today)).await?;
    Ok(answer(SVG, lang, svg::indicator_chart(&indicator, lang)))
}

/// A cooperation's timeline as an SVG Gantt chart: per phase the planned and the actual bar
/// (coloured by state), the `as_of` line, late phases marked with their days late; every
/// date, state and number a `<text>`/`<tspan>` marked `data-name` (the computation of
/// `GET /cooperations/{id}/timeline`). Access as that JSON.
#[utoipa::path(operation_id = "get_cooperation_timeline_chart", tag = "views", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "The chart", body = String, content_type = "image/svg+xml"), ReadErrors))]
#[get("/cooperations/{id}/timeline.svg")]
pub async fn timeline_chart(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageReader(who): PageReader,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    let (c, phases, summary) = cooperations::timeline(state.store.conn(), &who, *id, query.as_of.unwrap_or_else(today)).await?;
    let head = svg::TimelineHead { template: &c.data.data.template, start_on: c.data.data.start_on };
    Ok(answer(SVG, lang, svg::timeline_chart(&head, &phases, &summary, lang)))
}

/// A support project's five target indicators ("Rozvoj systémů") as an SVG chart: per
/// indicator its value against the target (a bar with the target's mark), numerator and
/// denominator, met or not, as of `as_of`: the figures of `GET /support-projects/{id}/indicators`
/// (one computation, `service::support_projects::indicators`), each a `<text data-name>`.
/// Access as that JSON (partners 403).
#[utoipa::path(operation_id = "get_support_project_indicators_chart", tag = "views", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "The chart", body = String, content_type = "image/svg+xml"), crate::error::GuardedReadErrors))]
#[get("/support-projects/{id}/indicators.svg")]
pub async fn support_project_chart(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageReader(who): PageReader,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    let report = service::support_projects::indicators(state.store.conn(), &who, *id, query.as_of.unwrap_or_else(today)).await?;
    Ok(answer(SVG, lang, svg::support_project_chart(&report, lang)))
}

/// A partnership's report as a printable HTML page (Czech by default; `?lang=en` or
/// `Accept-Language: en` for English), as of `as_of` (default today). Everyone sees the
/// partnership, its member organisations and its plan (the one in force, else the latest
/// approved) with goals and measures; a caller who reads the partnership's records (by token
/// or signed link) also sees its working groups, the plan's monitoring (the fulfilment chart
/// and overdue measures) and its projects. People are never named.
#[utoipa::path(operation_id = "get_partnership_report_page", tag = "views", params(PageQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "The page", body = String, content_type = "text/html"), ReadErrors))]
#[get("/partnerships/{id}/report")]
pub async fn report_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    MaybePageReader(who): MaybePageReader,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    let as_of = query.as_of.unwrap_or_else(today);
    let report = service::reports::partnership_report(state.store.conn(), who.as_ref(), *id, as_of).await?;
    Ok(answer(HTML, lang, page::render(&page_of(report, lang, as_of), lang)))
}

/// A strategic plan's monitoring report as a printable HTML page, as of `as_of` (default
/// today): the plan, its fulfilment chart and counts, the overdue measures, every goal with its
/// measures' deadline, status and last reported progress, and the indicators' attainment (the
/// computation of `GET /strategic-plans/{id}/fulfilment`). Monitoring is not public: readers of
/// the partnership, by token or signed link.
#[utoipa::path(operation_id = "get_strategic_plan_report_page", tag = "views", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "The page", body = String, content_type = "text/html"), ReadErrors))]
#[get("/strategic-plans/{id}/report")]
pub async fn plan_report_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageReader(who): PageReader,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    let report = service::reports::plan_report(state.store.conn(), &who, *id, query.as_of.unwrap_or_else(today)).await?;
    Ok(answer(HTML, lang, plan_page::render(&report, lang)))
}

/// The Agency's portfolio as a printable HTML page, as of `as_of` (default today): every
/// partnership the caller reads (a partner its own, everyone else all), by name, with its
/// status, its cooperation's state (current phase, late phases, days late: the computation of
/// `GET /cooperations?as_of=`) and its plan's fulfilment counts.
#[utoipa::path(operation_id = "get_portfolio_page", tag = "views", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "The page", body = String, content_type = "text/html"), ReadErrors))]
#[get("/reports/portfolio")]
pub async fn portfolio_page(state: web::Data<AppState>, req: HttpRequest, PageReader(who): PageReader, query: web::Query<PageQuery>) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    let as_of = query.as_of.unwrap_or_else(today);
    let rows = service::reports::portfolio(state.store.conn(), &who, as_of).await?;
    Ok(answer(HTML, lang, portfolio::render(&rows, as_of, lang)))
}

/// What a signed link is for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// The page or chart: its path, optionally with its query (`lang`, `as_of`), e.g.
    /// `/api/v1/partnerships/{id}/report?lang=en`. One of the pages and charts of the `views` tag.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub path: String,
    /// How long the link holds, in seconds: default 600 (10 minutes), at most 3600.
    #[validate(range(min = 1, max = 3600))]
    #[schema(minimum = 1, maximum = 3600)]
    #[serde(default)]
    pub ttl_seconds: Option<u64>,
}

/// A signed link to a page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkView {
    /// The absolute URL to open (the page's path and query with `exp` and `sig`).
    pub url: String,
    /// The same, relative to the server.
    pub path: String,
    pub expires_at: DateTime<Utc>,
}

/// The page a path names, its path and its query (without a link's own parameters).
fn target(input: &LinkInput) -> ApiResult<(PageRef, String, Option<String>)> {
    input.validate()?;
    let not_a_page = || ApiError::Unprocessable {
        detail: "not a page or chart of this API (the `views` tag of the OpenAPI document)".into(),
        errors: vec![domain::FieldError::new("path", "not_a_page", "not a page or chart of this API")],
    };
    let (path, query) = match input.path.split_once('?') {
        Some((p, q)) => (p, Some(q).filter(|q| !q.is_empty())),
        None => (input.path.as_str(), None),
    };
    let params = web::Query::<PageQuery>::from_query(query.unwrap_or(""))
        .map_err(|e| ApiError::bad_request("path", "query", format!("the page's query is invalid: {e}")))?;
    if params.exp.is_some() || params.sig.is_some() {
        return Err(ApiError::bad_request("path", "query", "the path carries a link's `exp` or `sig` already"));
    }
    let page = page_of_path(path).ok_or_else(not_a_page)?;
    Ok((page, path.to_owned(), query.map(str::to_owned)))
}

/// The page of a path (`/api/v1/…`), if it is one.
fn page_of_path(path: &str) -> Option<PageRef> {
    if !path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b)) {
        return None;
    }
    let segments: Vec<&str> = path.strip_prefix("/api/v1/")?.split('/').collect();
    let id = |s: &str| Uuid::parse_str(s).ok();
    match segments.as_slice() {
        ["partnerships", p, "report"] => id(p).map(PageRef::PartnershipReport),
        ["strategic-plans", p, "report"] => id(p).map(PageRef::PlanReport),
        ["strategic-plans", p, "fulfilment.svg"] => id(p).map(PageRef::FulfilmentChart),
        ["reports", "pipeline.svg"] => Some(PageRef::PipelineChart),
        ["reports", "portfolio"] => Some(PageRef::Portfolio),
        ["cooperations", c, "timeline.svg"] => id(c).map(PageRef::CooperationTimeline),
        ["measures", m, "indicators", key, "chart.svg"] if !key.is_empty() => id(m).map(|m| PageRef::IndicatorChart(m, (*key).to_owned())),
        ["support-projects", p, "indicators.svg"] => id(p).map(PageRef::SupportProjectIndicators),
        _ => None,
    }
}

/// A link to `path` (and `query`) for `who`, valid for `ttl` seconds from now.
fn signed_link(key: &LinkKey, who: &domain::access::Principal, (path, query): (&str, Option<&str>), ttl: u64, origin: &str) -> ApiResult<LinkView> {
    let exp = jsonwebtoken::get_current_timestamp() + ttl;
    let sig = key.sign(who, path, exp);
    let mut query = query.map(|q| format!("{q}&")).unwrap_or_default();
    query.push_str(&format!("exp={exp}&sig={sig}"));
    let relative = format!("{path}?{query}");
    let expires_at =
        DateTime::from_timestamp(i64::try_from(exp).unwrap_or(i64::MAX), 0).ok_or_else(|| ApiError::Internal("a link's expiry is out of range".into()))?;
    Ok(LinkView { url: format!("{origin}{relative}"), path: relative, expires_at })
}

/// Mint a short-lived signed link to a page or chart, so that a browser opens it without a
/// bearer token (`<a href>`, `<img src>`, `<iframe>`). The caller must be allowed to open the
/// page now (404 when it may not read it, 403 for the pipeline to a partner); the link then
/// grants exactly what the caller sees, for that path only (its `lang` and `as_of` may change),
/// until `expires_at` (`ttl_seconds`, default 600, at most 3600). No person's name or e-mail is
/// in the link (the subject only as a digest). A link used after its expiry, altered, or on
/// another path is a 401 problem.
#[utoipa::path(operation_id = "create_link", tag = "views", request_body = LinkInput, security(("bearer" = [])),
    responses((status = 200, description = "The link", body = LinkView), WriteErrors))]
#[post("/links")]
pub async fn create_link(
    state: web::Data<AppState>,
    tokens: web::Data<TokenService>,
    req: HttpRequest,
    Auth(who): Auth,
    body: web::Json<LinkInput>,
) -> ApiResult {
    let input = body.into_inner();
    let (page, path, query) = target(&input)?;
    service::reports::may_open(state.store.conn(), &who, &page).await?;
    let origin = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let link = signed_link(&tokens.links, &who, (&path, query.as_deref()), input.ttl_seconds.unwrap_or(DEFAULT_TTL).min(MAX_TTL), &origin)?;
    Ok(HttpResponse::Ok().json_body(link))
}

/// What the page draws of the report.
fn page_of(r: PartnershipReport, lang: Lang, today: NaiveDate) -> ReportPage {
    let (plan, monitoring) = match r.plan {
        None => (None, None),
        Some(content) => {
            let goals = content
                .goals
                .iter()
                .map(|g| GoalSection {
                    code: g.data.1.code.clone(),
                    title: g.data.1.title.clone(),
                    measures: content
                        .measures
                        .iter()
                        .filter(|m| m.data.data.goal_id == g.meta.id && m.data.data.kind == MeasureKind::Measure)
                        .map(|m| MeasureLine { code: m.data.data.code.clone(), title: m.data.data.title.clone(), deadline: m.data.data.deadline })
                        .collect(),
                })
                .collect();
            let plan = &content.plan.data;
            let monitoring = content.fulfilment.map(|f| Monitoring { chart: svg::fulfilment_chart(&plan.data.title, &f, lang), overdue: f.overdue_measures });
            let section =
                PlanSection { title: plan.data.title.clone(), status: plan.status, valid_from: plan.data.valid_from, valid_to: plan.data.valid_to, goals };
            (Some(section), monitoring)
        }
    };
    ReportPage {
        name: r.partnership.data.data.name,
        status: r.partnership.data.status,
        territorial_units: r.territorial_units,
        established_on: r.partnership.data.data.established_on,
        members: r.member_organizations,
        working_groups: r.working_groups.map(|groups| groups.into_iter().map(|g| (g.data.name, g.data.thematic_area)).collect()),
        plan,
        monitoring,
        projects: r.projects.map(|projects| {
            projects
                .into_iter()
                .map(|p| ProjectLine {
                    title: p.data.data.title,
                    status: p.data.status,
                    requested: p.data.data.budget.requested,
                    total_eligible: p.data.data.budget.total_eligible,
                })
                .collect()
        }),
        meetings: r.recent_meetings.map(|meetings| {
            meetings
                .into_iter()
                .map(|m| MeetingLine {
                    held_on: m.data.starts_at.date_naive(),
                    title: m.data.title,
                    resolutions: m.data.resolutions.into_iter().map(|r| (r.number, r.text)).collect(),
                })
                .collect()
        }),
        timeline: r.cooperation.map(|(c, phases, summary)| {
            let head = svg::TimelineHead { template: &c.data.data.template, start_on: c.data.data.start_on };
            svg::timeline_chart(&head, &phases, &summary, lang)
        }),
        generated_on: today,
    }
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(fulfilment_chart)
        .service(pipeline_chart)
        .service(indicator_chart)
        .service(timeline_chart)
        .service(support_project_chart)
        .service(report_page)
        .service(plan_report_page)
        .service(portfolio_page)
        .service(create_link);
}

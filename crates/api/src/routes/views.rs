//! Reports a person reads: SVG charts of the fulfilment and pipeline reports, and a
//! partnership's printable HTML page. The figures come from the same computations as the JSON
//! reports (`service::plans::fulfilment`, the pipeline's `figures_by_programme`); `render`
//! only draws them.

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use chrono::{NaiveDate, Utc};
use domain::access::{Action, Principal};
use domain::codelist::{MeasureKind, PlanStatus};
use persistence::plans::{PlanFilter, PlanRecord};
use persistence::{esif, memberships, organizations, territorial_units, working_groups};
use serde::Deserialize;
use service::plans;
use uuid::Uuid;

use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiResult, ReadErrors};
use crate::http::AppState;
use crate::render::page::{GoalSection, MeasureLine, Monitoring, PlanSection, ProjectLine, ReportPage};
use crate::render::{Lang, page, svg};

const SVG: &str = "image/svg+xml";
const HTML: &str = "text/html; charset=utf-8";

fn lang_of(req: &HttpRequest, query: Option<Lang>) -> Lang {
    Lang::pick(query, req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

fn answer(content_type: &str, lang: Lang, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .insert_header((header::VARY, "Accept-Language"))
        .body(body)
}

/// The day and language of a chart.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FulfilmentChartQuery {
    /// Default today (UTC).
    pub as_of: Option<NaiveDate>,
    /// `cs` (default) or `en`; otherwise `Accept-Language` decides.
    pub lang: Option<Lang>,
}

/// The plan's fulfilment as an SVG chart: the completed share per goal, and the counts of
/// measures (total, completed, overdue, unreported) with the completed share, the same
/// figures as `GET /strategic-plans/{id}/fulfilment`. Each figure is a `<text>` marked
/// `data-name`; the chart has a `<title>` and a `<desc>`.
#[utoipa::path(operation_id = "get_strategic_plan_fulfilment_chart", tag = "views", params(FulfilmentChartQuery), security(("bearer" = [])),
    responses((status = 200, description = "The chart", body = String, content_type = "image/svg+xml"), ReadErrors))]
#[get("/strategic-plans/{id}/fulfilment.svg")]
pub async fn fulfilment_chart(
    state: web::Data<AppState>,
    req: HttpRequest,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    query: web::Query<FulfilmentChartQuery>,
) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    let as_of = query.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let conn = state.store.conn();
    let fulfilment = plans::fulfilment(conn, &who, *id, as_of).await?;
    let plan = plans::get(conn, Some(&who), *id).await?;
    Ok(answer(SVG, lang, svg::fulfilment_chart(&plan.data.data.title, &fulfilment, lang)))
}

/// The language of a chart or page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `cs` (default) or `en`; otherwise `Accept-Language` decides.
    pub lang: Option<Lang>,
}

/// The pipeline as an SVG chart: intents → submitted → approved per programme, with the sums
/// requested and approved (every programme; the figures of `GET /reports/pipeline`). For the
/// Agency and the ministry: partners 403.
#[utoipa::path(operation_id = "get_pipeline_chart", tag = "views", params(LangQuery), security(("bearer" = [])),
    responses((status = 200, description = "The chart", body = String, content_type = "image/svg+xml"),
        (status = 403, description = "Partners see their own projects, not the pipeline of all partnerships", body = crate::error::Problem, content_type = "application/problem+json"), ReadErrors))]
#[get("/reports/pipeline.svg")]
pub async fn pipeline_chart(state: web::Data<AppState>, req: HttpRequest, Auth(who): Auth, query: web::Query<LangQuery>) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    who.authorize(Action::ReadPipeline).map_err(service::Error::from)?;
    let stats = esif::call_stats(state.store.conn(), None, None).await?;
    let programmes = crate::routes::reports::figures_by_programme(stats)?;
    Ok(answer(SVG, lang, svg::pipeline_chart(&programmes, lang)))
}

/// Every row of a list (the page's sections are short).
fn all_rows() -> ApiResult<persistence::PageRequest> {
    crate::http::page_request(Some(500), &None, &None, None, None)
}

/// The plan a page shows: the one in force, otherwise the latest approved one (expired or
/// superseded); drafts never.
async fn shown_plan(conn: &impl persistence::ConnectionTrait, partnership_id: Uuid) -> ApiResult<Option<PlanRecord>> {
    let filter = PlanFilter { partnership_id: Some(partnership_id), ..Default::default() };
    let plans = persistence::plans::list_plans(conn, &filter, &all_rows()?).await?.items;
    let mut public: Vec<PlanRecord> = plans.into_iter().filter(|p| domain::plan::is_public(p.data.status)).collect();
    public.sort_by_key(|p| (p.data.status == PlanStatus::InForce, p.data.data.valid_from, p.data.version_number));
    Ok(public.pop())
}

/// A partnership's report as a printable HTML page (Czech by default; `?lang=en` or
/// `Accept-Language: en` for English). Everyone sees the partnership, its member
/// organisations and its plan (the one in force, else the latest approved) with goals and
/// measures; a caller who reads the partnership's records also sees its working groups, the
/// plan's monitoring (the fulfilment chart and overdue measures) and its projects. People are
/// never named.
#[utoipa::path(operation_id = "get_partnership_report_page", tag = "views", params(LangQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "The page", body = String, content_type = "text/html"), ReadErrors))]
#[get("/partnerships/{id}/report")]
pub async fn report_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    MaybeAuth(who): MaybeAuth,
    id: web::Path<Uuid>,
    query: web::Query<LangQuery>,
) -> ApiResult {
    let lang = lang_of(&req, query.lang);
    let conn = state.store.conn();
    let id = *id;
    let today = Utc::now().date_naive();
    let partnership = service::partnerships::get(conn, id).await?;
    let reader: Option<&Principal> = who.as_ref().filter(|w| w.authorize(Action::Read { partnership: id }).is_ok());

    let mut territorial_units = Vec::new();
    for unit in &partnership.data.data.territorial_unit_ids {
        territorial_units.push(territorial_units::get(conn, *unit).await?.data.name);
    }
    let filter = memberships::Filter { partnership_id: Some(id), active_on: Some(today), ..Default::default() };
    let mut members = Vec::new();
    for m in memberships::list(conn, &filter, &all_rows()?).await?.items {
        members.push(organizations::get(conn, m.data.organization_id).await?.data.name);
    }
    members.sort();
    members.dedup();

    let working_groups = match reader {
        Some(_) => {
            let filter = working_groups::Filter { partnership_id: Some(id), ..Default::default() };
            Some(working_groups::list(conn, &filter, &all_rows()?).await?.items.into_iter().map(|g| (g.data.name, g.data.thematic_area)).collect())
        }
        None => None,
    };

    let (plan, monitoring) = match shown_plan(conn, id).await? {
        None => (None, None),
        Some(record) => {
            let goals = persistence::plans::goals_of(conn, record.meta.id).await?;
            let measures = persistence::plans::measures_of(conn, record.meta.id).await?;
            let sections = goals
                .iter()
                .map(|g| GoalSection {
                    code: g.data.1.code.clone(),
                    title: g.data.1.title.clone(),
                    measures: measures
                        .iter()
                        .filter(|m| m.data.data.goal_id == g.meta.id && m.data.data.kind == MeasureKind::Measure)
                        .map(|m| MeasureLine { code: m.data.data.code.clone(), title: m.data.data.title.clone(), deadline: m.data.data.deadline })
                        .collect(),
                })
                .collect();
            let monitoring = match reader {
                Some(who) => {
                    let f = plans::fulfilment(conn, who, record.meta.id, today).await?;
                    Some(Monitoring { chart: svg::fulfilment_chart(&record.data.data.title, &f, lang), overdue: f.overdue_measures })
                }
                None => None,
            };
            let plan = PlanSection {
                title: record.data.data.title.clone(),
                status: record.data.status,
                valid_from: record.data.data.valid_from,
                valid_to: record.data.data.valid_to,
                goals: sections,
            };
            (Some(plan), monitoring)
        }
    };

    let projects = match reader {
        Some(_) => {
            let filter = esif::ProjectFilter { partnership_id: Some(id), ..Default::default() };
            Some(
                esif::list_projects(conn, &filter, &all_rows()?)
                    .await?
                    .items
                    .into_iter()
                    .map(|p| ProjectLine {
                        title: p.data.data.title,
                        status: p.data.status,
                        requested: p.data.data.budget.requested,
                        total_eligible: p.data.data.budget.total_eligible,
                    })
                    .collect(),
            )
        }
        None => None,
    };

    let view = ReportPage {
        name: partnership.data.data.name.clone(),
        status: partnership.data.status,
        territorial_units,
        established_on: partnership.data.data.established_on,
        members,
        working_groups,
        plan,
        monitoring,
        projects,
        generated_on: today,
    };
    Ok(answer(HTML, lang, page::render(&view, lang)))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(fulfilment_chart).service(pipeline_chart).service(report_page);
}

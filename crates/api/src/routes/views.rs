//! Reports a person reads: SVG charts of the fulfilment and pipeline reports, and a
//! partnership's printable HTML page. The figures come from the same computations as the JSON
//! reports (`service::plans::fulfilment`, the pipeline's `figures_by_programme`); `render`
//! only draws them.

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use chrono::{NaiveDate, Utc};
use domain::access::Action;
use domain::codelist::MeasureKind;
use persistence::esif;
use serde::Deserialize;
use service::plans;
use service::reports::PartnershipReport;
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
    #[param(inline)]
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
    #[param(inline)]
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
    let today = Utc::now().date_naive();
    let report = service::reports::partnership_report(state.store.conn(), who.as_ref(), *id, today).await?;
    Ok(answer(HTML, lang, page::render(&page_of(report, lang, today), lang)))
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
        generated_on: today,
    }
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(fulfilment_chart).service(pipeline_chart).service(report_page);
}

//! Aggregates a ministry asks for (`/reports/…`): the pipeline per programme and call, a
//! partnership's projects with their measures, and the funding of a plan's measures. Money
//! totals are exact integer sums.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use domain::access::Action;
use domain::codelist::{ProgrammingPeriod, ProjectStatus};
use domain::esif::Coverage;
use domain::money::Money;
use persistence::esif::{self, ProjectFilter};
use persistence::plans;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ListErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, ListResponse, PageQuery};

fn total(amount: i128, currency: &str) -> ApiResult<Money> {
    let amount_minor = i64::try_from(amount).map_err(|_| ApiError::Internal("a money total exceeds the representable range".into()))?;
    Ok(Money { amount_minor, currency: currency.to_owned() })
}

/// Pipeline figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineFigures {
    /// Every project linked to the call(s), whatever its state.
    pub intents: u64,
    /// Projects submitted (including those decided, realized, completed, or withdrawn after submission).
    pub submitted: u64,
    /// Projects approved (including realized and completed).
    pub approved: u64,
    /// Sum requested by the submitted projects.
    pub requested: Money,
    /// Sum approved.
    pub approved_amount: Money,
}

/// One call's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallFigures {
    pub call_id: Uuid,
    pub number: String,
    pub title: String,
    #[serde(flatten)]
    pub figures: PipelineFigures,
}

/// One programme's figures, with its calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeFigures {
    pub programme_id: Uuid,
    pub code: String,
    pub period: ProgrammingPeriod,
    #[serde(flatten)]
    pub figures: PipelineFigures,
    pub calls: Vec<CallFigures>,
}

/// Which programmes to report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PipelineQuery {
    /// Rows per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `true` to include `total`, the number of all matching rows.
    pub count: Option<bool>,
    pub programme_id: Option<Uuid>,
    pub period: Option<ProgrammingPeriod>,
}

/// Per programme and call: intents, submitted, approved, and the sums requested and approved.
/// For the Agency and the ministry (admins, consultants, reporters, importers).
#[utoipa::path(operation_id = "get_pipeline_report", tag = "reports", params(PipelineQuery), security(("bearer" = [])),
    responses((status = 200, description = "Figures per programme, with their calls", body = ListResponse<ProgrammeFigures>,
        headers(("Link" = String, description = "RFC 8288: the pipeline chart, `</api/v1/reports/pipeline.svg>; rel=\"alternate\"; type=\"image/svg+xml\"`"))),
        (status = 403, description = "Partners see their own projects, not the pipeline of all partnerships", body = crate::error::Problem, content_type = "application/problem+json"), ListErrors))]
#[get("/reports/pipeline")]
pub async fn pipeline(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<PipelineQuery>) -> ApiResult {
    let request = crate::http::page_request(query.limit, &query.cursor, &None, query.count, None)?;
    who.authorize(Action::ReadPipeline).map_err(service::Error::from)?;
    let stats = esif::call_stats(state.store.conn(), query.programme_id, query.period).await?;
    let out = figures_by_programme(stats)?;
    let page = persistence::page::in_memory(out, "pipeline", |p: &ProgrammeFigures| format!("{}\u{0}{}", p.code, p.programme_id), &request)?;
    let chart = super::views::alternate(&[("/api/v1/reports/pipeline.svg", super::views::SVG)]);
    Ok(HttpResponse::Ok().insert_header(chart).json_body(ListResponse::from_page(page, |p| p)))
}

/// The pipeline's figures per programme, with its calls' (sums in the programme's currency).
pub(crate) fn figures_by_programme(stats: Vec<esif::CallStats>) -> ApiResult<Vec<ProgrammeFigures>> {
    let mut by_programme: BTreeMap<(String, Uuid), Vec<esif::CallStats>> = BTreeMap::new();
    for s in stats {
        by_programme.entry((s.programme_code.clone(), s.call.data.programme_id)).or_default().push(s);
    }
    let mut out = Vec::new();
    for ((code, programme_id), calls) in by_programme {
        let currency = calls.first().map_or_else(|| "CZK".to_owned(), |c| c.call.data.allocation.currency.clone());
        let period = calls.first().map_or(ProgrammingPeriod::Period2021To2027, |c| c.period);
        let sum = |f: fn(&esif::CallStats) -> i128| calls.iter().filter(|c| c.call.data.allocation.currency == currency).map(f).sum::<i128>();
        let figures = PipelineFigures {
            intents: calls.iter().map(|c| c.intents).sum(),
            submitted: calls.iter().map(|c| c.submitted).sum(),
            approved: calls.iter().map(|c| c.approved).sum(),
            requested: total(sum(|c| c.requested_minor), &currency)?,
            approved_amount: total(sum(|c| c.approved_minor), &currency)?,
        };
        let mut call_figures = Vec::new();
        for c in &calls {
            let cur = &c.call.data.allocation.currency;
            call_figures.push(CallFigures {
                call_id: c.call.meta.id,
                number: c.call.data.number.clone(),
                title: c.call.data.title.clone(),
                figures: PipelineFigures {
                    intents: c.intents,
                    submitted: c.submitted,
                    approved: c.approved,
                    requested: total(c.requested_minor, cur)?,
                    approved_amount: total(c.approved_minor, cur)?,
                },
            });
        }
        out.push(ProgrammeFigures { programme_id, code, period, figures, calls: call_figures });
    }
    Ok(out)
}

/// A measure a project implements.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureRef {
    /// The measure the project was linked to (possibly in an earlier version of the plan).
    pub measure_id: Uuid,
    pub plan_id: Uuid,
    /// The measure's identity across plan versions.
    pub measure_key: Uuid,
    /// The same measure in the partnership's plan in force (`null`: none there): a link to an
    /// earlier version counts for it.
    pub in_force_measure_id: Option<Uuid>,
    pub code: String,
    pub title: String,
}

/// A project with its measures.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectWithMeasures {
    pub project_id: Uuid,
    pub title: String,
    pub status: ProjectStatus,
    pub call_id: Option<Uuid>,
    pub applicant_organization_id: Uuid,
    pub requested: Money,
    pub approved_amount: Option<Money>,
    pub measures: Vec<MeasureRef>,
}

/// A partnership's projects (all states) and the measures of its plans they implement.
#[utoipa::path(operation_id = "get_partnership_projects_report", tag = "reports", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, description = "The projects with their measures, oldest first", body = ListResponse<ProjectWithMeasures>), ListErrors))]
#[get("/reports/partnerships/{id}/projects")]
pub async fn partnership_projects(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<PageQuery>) -> ApiResult {
    let request = query.page()?;
    service::partnerships::require_readable(state.store.conn(), &who, *id).await?;
    let page = esif::list_projects(state.store.conn(), &ProjectFilter { partnership_id: Some(*id), ..Default::default() }, &request).await?;
    let out = with_measures(state.store.conn(), *id, page.items).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse { items: out, next_cursor: page.next_cursor, total: page.total }))
}

/// Each project with the measures it implements, and their counterparts in the plan in force.
async fn with_measures(conn: &impl persistence::Conn, id: Uuid, projects: Vec<esif::ProjectRecord>) -> ApiResult<Vec<ProjectWithMeasures>> {
    let mut out = Vec::new();
    for p in projects {
        let d = &p.data.data;
        let mut measures = Vec::new();
        for m in &d.measure_ids {
            match plans::get_measure(conn, *m).await {
                Ok(found) => measures.push(MeasureRef {
                    measure_id: found.meta.id,
                    plan_id: found.data.plan_id,
                    measure_key: found.data.measure_key,
                    in_force_measure_id: persistence::monitoring::in_force_by_key(conn, id, &[found.data.measure_key])
                        .await?
                        .get(&found.data.measure_key)
                        .copied(),
                    code: found.data.data.code,
                    title: found.data.data.title,
                }),
                // A measure deleted from a draft after linking: nothing to show.
                Err(persistence::StoreError::NotFound) => {}
                Err(other) => return Err(other.into()),
            }
        }
        out.push(ProjectWithMeasures {
            project_id: p.meta.id,
            title: d.title.clone(),
            status: p.data.status,
            call_id: d.call_id,
            applicant_organization_id: d.applicant_organization_id,
            requested: d.budget.requested.clone(),
            approved_amount: p.data.steps.approved_minor.map(|a| Money { amount_minor: a, currency: d.budget.requested.currency.clone() }),
            measures,
        });
    }
    Ok(out)
}

/// How approved projects fund one measure.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureFundingView {
    pub measure_id: Uuid,
    pub code: String,
    pub title: String,
    /// The measure's estimated budget.
    pub budget: Option<Money>,
    /// Its share of the approved grants: a project implementing several measures is split
    /// among them in proportion to their budgets (equally without budgets), exactly.
    pub funded: Money,
    /// full, partial, none, or no_budget (funded but nothing to compare with).
    pub coverage: Coverage,
    pub project_ids: Vec<Uuid>,
}

impl From<esif::MeasureFunding> for MeasureFundingView {
    fn from(r: esif::MeasureFunding) -> Self {
        let currency = r.currency.clone().unwrap_or_else(|| "CZK".to_owned());
        Self {
            measure_id: r.measure_id,
            code: r.code,
            title: r.title,
            budget: r.budget_minor.map(|b| Money { amount_minor: b, currency: currency.clone() }),
            funded: Money { amount_minor: r.funded_minor, currency },
            coverage: r.coverage,
            project_ids: r.projects,
        }
    }
}

/// Whether each measure of a plan is funded by approved projects: fully, partly or not at all.
/// Projects are not public, so this needs a token that may read the partnership.
#[utoipa::path(operation_id = "get_measure_funding_report", tag = "reports", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, description = "Funding per measure, by code", body = ListResponse<MeasureFundingView>), ListErrors))]
#[get("/reports/strategic-plans/{id}/measure-funding")]
pub async fn measure_funding(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<PageQuery>) -> ApiResult {
    let request = query.page()?;
    service::plans::readable(state.store.conn(), &who, *id).await?;
    let rows = esif::measure_funding(state.store.conn(), *id).await?;
    let out: Vec<MeasureFundingView> = rows.into_iter().map(MeasureFundingView::from).collect();
    let page = persistence::page::in_memory(out, "measure-funding", |m: &MeasureFundingView| format!("{}\u{0}{}", m.code, m.measure_id), &request)?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |m| m)))
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(pipeline).service(partnership_projects).service(measure_funding);
}

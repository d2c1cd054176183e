//! The cooperations' timeline templates (`/timeline-templates`): the two built into the program
//! (`standard_36`, `rozvoj_systemu_24`) and those admins define. Public to read; admins write.
//! A template is named by its code, in paths as in the cooperations and rounds that follow it.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use domain::cooperation::{PhaseTemplate, Source, Template};
use persistence::timeline_templates::TemplateRecord;
use serde::{Deserialize, Serialize};
use service::timeline_templates::{self as use_cases, TemplateEntry};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, merge_patch, page_query};
use crate::routes::shapes::create_one;
use crate::write::{self, Resource, Shown};

const COLLECTION: &str = "/api/v1/timeline-templates";

/// A phase of a timeline template an admin defines.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePhaseInput {
    /// Unique within the template: lower-case letters, digits and `_`. Milestones name it.
    #[schema(pattern = "^[a-z0-9_]{2,50}$", min_length = 2, max_length = 50)]
    pub code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The phase's first month of cooperation (month 1 starts on the cooperation's `start_on`).
    #[schema(minimum = 1, maximum = 120)]
    pub from_month: u32,
    /// Its last month (inclusive): not before `from_month`, not beyond the template's `months`.
    #[schema(minimum = 1, maximum = 120)]
    pub to_month: u32,
    /// Where its actual dates come from besides a milestone: the partnership's records
    /// (`establishment`, `analysis`, `plan`, `implementation`, `evaluation`,
    /// `implementation_after_revision`, `handover`) or only milestones (`milestones`).
    pub source: Source,
    /// On a cooperation's timeline only when it committed predefined activities.
    #[serde(default)]
    pub only_if_committed: bool,
}

/// What an admin sets on a timeline template.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineTemplateInput {
    /// Lower-case letters, digits and `_`; not a built-in template's code; never changes.
    #[schema(pattern = "^[a-z0-9_]{2,50}$", min_length = 2, max_length = 50)]
    pub code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The length of a cooperation on this template, the default of its `months`.
    #[schema(minimum = 1, maximum = 120)]
    pub months: u32,
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub description: String,
    /// The phases, in the order a timeline lists them (1 to 50).
    #[schema(min_items = 1, max_items = 50)]
    pub phases: Vec<TemplatePhaseInput>,
}

impl TimelineTemplateInput {
    fn into_template(self) -> Template {
        let phase = |p: TemplatePhaseInput| PhaseTemplate {
            code: p.code.trim().to_owned().into(),
            name: p.name.trim().to_owned().into(),
            from_month: p.from_month,
            to_month: p.to_month,
            source: p.source,
            only_if_committed: p.only_if_committed,
        };
        Template {
            code: self.code.trim().to_owned().into(),
            name: self.name.trim().to_owned().into(),
            months: self.months,
            description: self.description.trim().to_owned().into(),
            phases: self.phases.into_iter().map(phase).collect::<Vec<_>>().into(),
        }
    }

    fn from_template(t: &Template) -> Self {
        let phase = |p: &PhaseTemplate| TemplatePhaseInput {
            code: p.code.to_string(),
            name: p.name.to_string(),
            from_month: p.from_month,
            to_month: p.to_month,
            source: p.source,
            only_if_committed: p.only_if_committed,
        };
        Self {
            code: t.code.to_string(),
            name: t.name.to_string(),
            months: t.months,
            description: t.description.to_string(),
            phases: t.phases.iter().map(phase).collect(),
        }
    }
}

/// A phase of a timeline template.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplatePhaseView {
    pub code: String,
    pub name: String,
    pub from_month: u32,
    pub to_month: u32,
    /// Where its actual dates come from besides a milestone.
    pub source: Source,
    /// On a cooperation's timeline only when it committed predefined activities.
    pub only_if_committed: bool,
}

/// A timeline template: built into the program (`builtin: true`, without metadata) or defined
/// by an admin.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineTemplateView {
    /// A defined template's identifier (UUID v7); `null` for a built-in one.
    pub id: Option<Uuid>,
    /// A defined template's version (send it back in `If-Match`); `null` for a built-in one.
    pub version: Option<i32>,
    /// `null` for a built-in template.
    pub created_at: Option<DateTime<Utc>>,
    /// `null` for a built-in template.
    pub updated_at: Option<DateTime<Utc>>,
    /// When a defined template was archived (`DELETE`); archived ones are listed only with
    /// `include_archived=true` and no new cooperation or round may name them.
    pub archived_at: Option<DateTime<Utc>>,
    /// Built into the program (`standard_36`, `rozvoj_systemu_24`): never changes.
    pub builtin: bool,
    pub code: String,
    pub name: String,
    /// The default length of a cooperation on this template.
    pub months: u32,
    pub description: String,
    pub phases: Vec<TemplatePhaseView>,
}

impl TimelineTemplateView {
    fn of_entry(e: &TemplateEntry) -> Self {
        let t = &e.template;
        let phase = |p: &PhaseTemplate| TemplatePhaseView {
            code: p.code.to_string(),
            name: p.name.to_string(),
            from_month: p.from_month,
            to_month: p.to_month,
            source: p.source,
            only_if_committed: p.only_if_committed,
        };
        Self {
            id: e.meta.as_ref().map(|m| m.id),
            version: e.meta.as_ref().map(|m| m.version),
            created_at: e.meta.as_ref().map(|m| m.created_at),
            updated_at: e.meta.as_ref().map(|m| m.updated_at),
            archived_at: e.meta.as_ref().and_then(|m| m.archived_at),
            builtin: e.meta.is_none(),
            code: t.code.to_string(),
            name: t.name.to_string(),
            months: t.months,
            description: t.description.to_string(),
            phases: t.phases.iter().map(phase).collect(),
        }
    }
}

impl Resource for TimelineTemplateView {
    type Data = Template;
    const NAME: &'static str = "timeline_template";
    const COLLECTION: &'static str = COLLECTION;
    fn of(r: &TemplateRecord) -> Self {
        Self::of_entry(&TemplateEntry::from(r.clone()))
    }
}

/// A defined template's answer: found at `/timeline-templates/{code}`, not by its id.
fn shown(r: &TemplateRecord) -> Shown<TimelineTemplateView> {
    Shown { id: r.meta.id, version: r.meta.version, location: format!("{COLLECTION}/{}", r.data.code), view: TimelineTemplateView::of(r) }
}

page_query! {
    /// Paging of the timeline templates (ordered by code, built-in and defined ones together).
    TimelineTemplateQuery {
        /// `true` to list archived templates too.
        include_archived: Option<bool>,
    }
}

/// The timeline templates (public), ordered by code: the built-in `standard_36` (the 2014
/// recruitment's three years) and `rozvoj_systemu_24` (illustrative), and those admins define.
#[utoipa::path(operation_id = "list_timeline_templates", tag = "cooperations", params(TimelineTemplateQuery),
    responses((status = 200, description = "The templates", body = ListResponse<TimelineTemplateView>), ListErrors))]
#[get("/timeline-templates")]
pub async fn list(state: web::Data<AppState>, query: web::Query<TimelineTemplateQuery>) -> ApiResult {
    let request = query.page()?;
    let all = use_cases::list(state.store.conn(), query.include_archived.unwrap_or(false)).await?;
    let views = all.iter().map(TimelineTemplateView::of_entry).collect();
    let page = persistence::page::in_memory(views, "timeline-templates", |t: &TimelineTemplateView| t.code.clone(), &request)?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |t| t)))
}

/// Get a timeline template by code (public); a defined one (also archived) with its ETag.
#[utoipa::path(operation_id = "get_timeline_template", tag = "cooperations",
    params(("code" = String, Path, description = "The template's code", pattern = "^[a-z0-9_]{2,50}$")),
    responses((status = 200, description = "The template", body = TimelineTemplateView,
        headers(("ETag" = String, description = "Current version (defined templates only)"))), ReadErrors))]
#[get("/timeline-templates/{code}")]
pub async fn get(state: web::Data<AppState>, code: web::Path<String>) -> ApiResult {
    let entry = use_cases::get(state.store.conn(), &code).await?;
    let view = TimelineTemplateView::of_entry(&entry);
    Ok(match &entry.meta {
        Some(meta) => crate::http::ok_versioned(meta.version, &view),
        None => HttpResponse::Ok().json_body(view),
    })
}

create_one! {
    /// Define a timeline template (admins). Its code is new (409 when taken, also by an
    /// archived template) and not a built-in one's (422).
    create: POST "/timeline-templates", "create_timeline_template", "cooperations", TimelineTemplateInput => TimelineTemplateView,
    |state, who, key, body| {
        let input = body.into_inner();
        write::create_shown(&state, &who, key, &input, TimelineTemplateView::NAME, async |s| {
            use_cases::create(s, || Ok::<_, service::Error>(input.clone().into_template())).await.map(|r| shown(&r))
        })
        .await
    }
}

/// Update a defined timeline template (admins; JSON merge patch). Its code stays; a built-in
/// template never changes (409), and one a cooperation or recruitment round (not archived)
/// follows keeps its `months` and `phases` (409): only its name and description change.
#[utoipa::path(operation_id = "update_timeline_template", tag = "cooperations",
    request_body(content = serde_json::Value, description = "A JSON merge patch of TimelineTemplateInput", content_type = "application/merge-patch+json"),
    params(("code" = String, Path, description = "The template's code", pattern = "^[a-z0-9_]{2,50}$"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = TimelineTemplateView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/timeline-templates/{code}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, code: web::Path<String>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    let edit = |current: &Template| merge_patch(&TimelineTemplateInput::from_template(current), patch.into_inner()).map(TimelineTemplateInput::into_template);
    write::update::<TimelineTemplateView>(&state, &who, async |s| use_cases::update(s, &code, &if_match.0, edit).await).await
}

/// Archive a defined timeline template (admins): no new cooperation or round may name it; its
/// code stays taken. 409 for a built-in template and for one a cooperation or recruitment
/// round (not archived) follows.
#[utoipa::path(operation_id = "archive_timeline_template", tag = "cooperations",
    params(("code" = String, Path, description = "The template's code", pattern = "^[a-z0-9_]{2,50}$"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    security(("bearer" = [])), responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/timeline-templates/{code}")]
pub async fn archive(state: web::Data<AppState>, Auth(who): Auth, code: web::Path<String>, if_match: IfMatch) -> ApiResult {
    write::archive::<TimelineTemplateView>(&state, &who, async |s| use_cases::archive(s, &code, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list).service(create).service(get).service(update).service(archive);
}

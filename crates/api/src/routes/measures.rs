//! Measures and activities of strategic plans: `/strategic-plans/{id}/measures`, `/measures`
//! across partnerships and `/measures/{id}`. They change only while their plan is a draft;
//! their goals are in [`super::goals`], their progress reports in [`super::progress_reports`].

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{NaiveDate, Utc};
use domain::access::Principal;
use domain::codelist::{MeasureKind, PlanStatus, ProgressStatus, ThematicArea};
use domain::money::Money;
use domain::plan::{BudgetLine, Indicator, MeasureData};
use persistence::plans::{Measure, MeasureFilter, MeasureRecord};
use serde::{Deserialize, Serialize};
use service::{Updated, measures};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch, ok_versioned};
use crate::routes::shapes::{create_one, delete_one, get_one, update_one};
use crate::write::{self, Resource, Shown};

/// What a client sets on a measure or an activity.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct MeasureInput {
    /// Your own stable key for idempotent imports; unique among the plan's measures (a
    /// revision's copy keeps it).
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub external_ref: Option<String>,
    /// The goal the measure serves (in the same plan).
    pub goal_id: Uuid,
    /// `measure` (default) or `activity`.
    #[serde(default = "measure_kind")]
    pub kind: MeasureKind,
    /// For an activity: its measure.
    #[serde(default)]
    pub parent_measure_id: Option<Uuid>,
    /// Unique in the plan, e.g. `2.1.3`.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, example = "2.1.3")]
    pub code: String,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    #[serde(default)]
    pub description: Option<String>,
    pub thematic_area: ThematicArea,
    /// The needs (from the partnership's analyses) the measure answers.
    #[serde(default)]
    pub need_ids: Vec<Uuid>,
    /// The responsible implementer: a current member organisation of the partnership.
    #[serde(default)]
    pub responsible_organization_id: Option<Uuid>,
    #[serde(default)]
    pub co_implementer_ids: Vec<Uuid>,
    #[serde(default)]
    #[serde(serialize_with = "domain::json_date::serialize_option")]
    pub starts_on: Option<NaiveDate>,
    /// Every measure has a deadline, not before `starts_on`.
    #[serde(serialize_with = "domain::json_date::serialize")]
    pub deadline: NaiveDate,
    /// The estimated budget by funding source (money in minor units).
    #[serde(default)]
    pub budget: Vec<BudgetLine>,
    /// One of the Agency's predefined activities.
    #[serde(default)]
    pub predefined_activity: bool,
    #[serde(default)]
    pub indicators: Vec<Indicator>,
}

fn measure_kind() -> MeasureKind {
    MeasureKind::Measure
}

impl MeasureInput {
    pub(crate) fn into_data(self) -> ApiResult<MeasureData> {
        self.validate()?;
        Ok(MeasureData {
            external_ref: opt_text(self.external_ref),
            goal_id: self.goal_id,
            kind: self.kind,
            parent_measure_id: self.parent_measure_id,
            code: self.code.trim().to_owned(),
            title: self.title.trim().to_owned(),
            description: opt_text(self.description),
            thematic_area: self.thematic_area,
            need_ids: self.need_ids,
            responsible_organization_id: self.responsible_organization_id,
            co_implementer_ids: self.co_implementer_ids,
            starts_on: self.starts_on,
            deadline: Some(self.deadline),
            budget: self.budget,
            predefined_activity: self.predefined_activity,
            indicators: self.indicators,
        }
        .validate()?)
    }
    pub(crate) fn from_data(d: &MeasureData) -> Self {
        Self::from_owned(d.clone())
    }
    /// The input a stored measure answers to, taking its fields (a list's rows are not needed
    /// after their views are made: no copy of each text, budget line and indicator).
    pub(crate) fn from_owned(d: MeasureData) -> Self {
        Self {
            external_ref: d.external_ref,
            goal_id: d.goal_id,
            kind: d.kind,
            parent_measure_id: d.parent_measure_id,
            code: d.code,
            title: d.title,
            description: d.description,
            thematic_area: d.thematic_area,
            need_ids: d.need_ids,
            responsible_organization_id: d.responsible_organization_id,
            co_implementer_ids: d.co_implementer_ids,
            starts_on: d.starts_on,
            deadline: d.deadline.unwrap_or_default(),
            budget: d.budget,
            predefined_activity: d.predefined_activity,
            indicators: d.indicators,
        }
    }
}

/// The latest reported state of a measure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CurrentState {
    pub status: ProgressStatus,
    pub percent_done: i32,
    #[serde(serialize_with = "domain::json_date::serialize")]
    pub reported_on: NaiveDate,
}

/// A measure or an activity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeasureView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub plan_id: Uuid,
    pub partnership_id: Uuid,
    #[serde(flatten)]
    pub content: MeasureInput,
    /// The exact sum of the budget lines.
    pub budget_total: Option<Money>,
    /// The latest progress report (`null`: never reported, or not visible: monitoring is
    /// shown to callers who may read the partnership).
    pub current: Option<CurrentState>,
    /// The deadline passed (today, UTC, or the list's `as_of`) and the measure is neither
    /// completed nor cancelled (`null` when monitoring is not visible to the caller).
    pub overdue: Option<bool>,
    /// The measure's identity across plan versions: shared by the measure and its copies in
    /// later versions (a revision copies it). Progress reports, the current state, indicator
    /// values and project links follow it, whichever version they were recorded on.
    pub measure_key: Uuid,
    /// Remarks worth a look, never errors: `thematic_area_differs_from_needs` when the
    /// measure's thematic area is none of its needs' areas. Empty for callers who may not
    /// read the partnership (needs are not public).
    pub warnings: Vec<domain::monitoring::MeasureWarning>,
}

impl MeasureView {
    /// Computes the monitoring fields as of `as_of` from `latest` (the latest report of the
    /// measure's identity dated on or before the day).
    fn computed_as_of(mut self, latest: Option<&domain::monitoring::ReportFact>, as_of: NaiveDate) -> Self {
        self.current = latest.map(|c| CurrentState { status: c.status, percent_done: c.percent_done, reported_on: c.reported_on });
        self.overdue = Some(domain::monitoring::overdue_on(Some(self.content.deadline), latest.map(|c| c.status), as_of));
        self
    }
}

/// The views of measures for a caller: warnings from their needs' areas, and monitoring as of
/// `as_of` when given (otherwise the current state).
pub async fn views(
    conn: &impl persistence::Conn,
    records: Vec<MeasureRecord>,
    who: Option<&Principal>,
    as_of: Option<NaiveDate>,
) -> ApiResult<Vec<MeasureView>> {
    let need_ids: Vec<Uuid> = records.iter().flat_map(|r| r.data.data.need_ids.iter().copied()).collect();
    let areas = persistence::monitoring::need_areas(conn, &need_ids).await?;
    let states = match as_of {
        Some(day) => {
            let keys: Vec<Uuid> = records.iter().map(|r| r.data.measure_key).collect();
            persistence::monitoring::state_by_key(conn, &keys, Some(day)).await?
        }
        None => Default::default(),
    };
    Ok(records
        .into_iter()
        .map(|r| {
            let theirs: Vec<ThematicArea> = r.data.data.need_ids.iter().filter_map(|n| areas.get(n).copied()).collect();
            let warnings = domain::monitoring::measure_warnings(r.data.data.thematic_area, &theirs);
            let may_read = who.is_some_and(|w| w.may_read_partnership(r.data.partnership_id));
            let key = r.data.measure_key;
            let mut view = MeasureView::from(r);
            view.warnings = warnings;
            if let Some(day) = as_of {
                view = view.computed_as_of(states.get(&key).and_then(|s| s.latest.as_ref()), day);
            }
            view.hide_monitoring_unless(may_read)
        })
        .collect())
}

impl MeasureView {
    /// The view for a caller: monitoring (current state, overdue) only for those who may
    /// read the partnership; the plan's content is public once approved.
    pub fn for_caller(r: &MeasureRecord, who: Option<&Principal>) -> Self {
        Self::from(r).hide_monitoring_unless(who.is_some_and(|w| w.may_read_partnership(r.data.partnership_id)))
    }

    fn hide_monitoring_unless(mut self, may_read_partnership: bool) -> Self {
        let view = &mut self;
        if !may_read_partnership {
            view.current = None;
            view.overdue = None;
            // Warnings speak of the needs, which are not public.
            view.warnings.clear();
        }
        self
    }
}

impl Resource for MeasureView {
    type Data = Measure;
    const NAME: &'static str = "measure";
    const COLLECTION: &'static str = "/api/v1/measures";
    fn of(record: &MeasureRecord) -> Self {
        Self::from(record)
    }
}

impl From<&MeasureRecord> for MeasureView {
    fn from(r: &MeasureRecord) -> Self {
        Self::from(r.clone())
    }
}

impl From<MeasureRecord> for MeasureView {
    fn from(r: MeasureRecord) -> Self {
        let m = r.data;
        let today = Utc::now().date_naive();
        Self {
            meta: (&r.meta).into(),
            plan_id: m.plan_id,
            partnership_id: m.partnership_id,
            budget_total: m.data.budget_total(),
            current: m.current.as_ref().map(|c| CurrentState { status: c.status, percent_done: c.percent_done, reported_on: c.reported_on }),
            overdue: Some(domain::monitoring::overdue_on(m.data.deadline, m.current.as_ref().map(|c| c.status), today)),
            measure_key: m.measure_key,
            warnings: Vec::new(),
            // Last: it takes the content the fields above are computed from.
            content: MeasureInput::from_owned(m.data),
        }
    }
}

list_query! {
    /// Filters of measures across partnerships (reporting).
    MeasureQuery {
        partnership_id: Option<Uuid>,
        plan_id: Option<Uuid>,
        goal_id: Option<Uuid>,
        kind: Option<MeasureKind>,
        responsible_organization_id: Option<Uuid>,
        thematic_area: Option<ThematicArea>,
        /// The latest reported status, or `unreported` for measures never reported on.
        status: Option<String>,
        /// `true`: deadline passed (before `as_of`, default today) and not completed or cancelled.
        overdue: Option<bool>,
        /// The day the list is computed as of (default today, not in the future): `status`,
        /// `overdue` and each item's `current` and `overdue` come from the latest report dated
        /// on or before it (of any version of the measure). Without `plan_id` and `plan_status`
        /// the measures are those of the plans in force on that day (approved by the assembly
        /// by then, within their validity, not ended before it). Needs a bearer token.
        as_of: Option<NaiveDate>,
        /// Only measures answering this need (traceability from a need to its measures).
        need_id: Option<Uuid>,
        /// Only measures of plans in this status (default: the plans in force on `as_of` when
        /// given, else `in_force`; no default when `plan_id` is given).
        plan_status: Option<PlanStatus>,
        /// Deadline before this day.
        deadline_before: Option<NaiveDate>,
        /// Deadline on or after this day.
        deadline_after: Option<NaiveDate>,
        predefined_activity: Option<bool>,
        /// Text search in code, title and description; ignores case and diacritics.
        q: Option<String>,
        include_archived: Option<bool>,
    }
}

list_query! {
    /// Filters of a plan's measures.
    PlanMeasureQuery {
        goal_id: Option<Uuid>,
        kind: Option<MeasureKind>,
        thematic_area: Option<ThematicArea>,
        responsible_organization_id: Option<Uuid>,
    }
}

fn status_filter(raw: Option<&str>) -> ApiResult<Option<Option<ProgressStatus>>> {
    use domain::codelist::Coded;
    match raw {
        None => Ok(None),
        Some("unreported") => Ok(Some(None)),
        Some(code) => ProgressStatus::from_code(code)
            .map(|s| Some(Some(s)))
            .ok_or_else(|| ApiError::bad_request("status", "unknown_code", format!("`{code}` is not a progress status (or `unreported`)"))),
    }
}

impl MeasureQuery {
    /// The filter of `GET /measures`: without a plan filter, the measures of the plans in force
    /// (on `as_of` when given, else today); monitoring filters need a token and, for a scoped
    /// caller, keep to its own partnerships.
    fn into_filter(self, who: Option<&Principal>) -> ApiResult<MeasureFilter> {
        let q = self;
        if q.as_of.is_some_and(|d| d > Utc::now().date_naive()) {
            return Err(ApiError::bad_request("as_of", "in_future", "`as_of` is a past day or today"));
        }
        let status = status_filter(q.status.as_deref())?;
        let monitoring = q.status.is_some() || q.overdue.is_some() || q.as_of.is_some();
        if monitoring && who.is_none() {
            return Err(ApiError::Unauthorized("filtering by monitoring data (status, overdue) needs a bearer token".into()));
        }
        let as_of = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
        // Without a plan filter: the plans in force on `as_of` when given (history), else today's.
        let plan_statuses = match (q.plan_status, q.plan_id, q.as_of) {
            (Some(s), _, _) => Some(vec![s]),
            (None, None, None) => Some(vec![PlanStatus::InForce]),
            (None, _, _) => None,
        };
        let plans_in_force_on = q.as_of.filter(|_| q.plan_status.is_none() && q.plan_id.is_none());
        Ok(MeasureFilter {
            plan_id: q.plan_id,
            partnership_id: q.partnership_id,
            goal_id: q.goal_id,
            kind: q.kind,
            responsible_organization_id: q.responsible_organization_id,
            thematic_area: q.thematic_area,
            status,
            overdue_on: q.overdue.unwrap_or(false).then_some(as_of),
            as_of: q.as_of,
            need_id: q.need_id,
            deadline_before: q.deadline_before,
            deadline_after: q.deadline_after,
            predefined_activity: q.predefined_activity,
            q: q.q,
            include_archived: q.include_archived.unwrap_or(false),
            plan_statuses,
            plans_in_force_on,
            scope: match who {
                None => Some(Vec::new()),
                Some(w) => w.readable_partnerships().map(<[Uuid]>::to_vec),
            },
            // A scoped caller filtering on monitoring sees only its own partnerships' measures.
            strict_scope: monitoring,
        })
    }
}

/// List measures across partnerships: by partnership, plan, responsible organization,
/// thematic area, status, overdue, deadline range, predefined activity. Without a token only
/// measures of approved plans. Sortable by `code` (default), `deadline`, `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_measures", tag = "strategic-plans", params(MeasureQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of measures", body = ListResponse<MeasureView>), ListErrors))]
#[get("/measures")]
pub async fn list(state: web::Data<AppState>, MaybeAuth(who): MaybeAuth, query: web::Query<MeasureQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let as_of = q.as_of;
    let filter = q.into_filter(who.as_ref())?;
    let page = persistence::plans::list_measures(state.store.conn(), &filter, &page).await?;
    let items = views(state.store.conn(), page.items, who.as_ref(), as_of).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse { items, next_cursor: page.next_cursor, total: page.total }))
}

/// List a plan's measures and activities. Sortable by `code` (default), `deadline`, `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_strategic_plan_measures", tag = "strategic-plans", params(PlanMeasureQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of measures", body = ListResponse<MeasureView>), ListErrors))]
#[get("/strategic-plans/{id}/measures")]
pub async fn list_of_plan(state: web::Data<AppState>, MaybeAuth(who): MaybeAuth, id: web::Path<Uuid>, query: web::Query<PlanMeasureQuery>) -> ApiResult {
    let page = query.page()?;
    service::plans::get(state.store.conn(), who.as_ref(), *id).await?;
    let q = query.into_inner();
    let filter = MeasureFilter {
        plan_id: Some(*id),
        goal_id: q.goal_id,
        kind: q.kind,
        thematic_area: q.thematic_area,
        responsible_organization_id: q.responsible_organization_id,
        ..Default::default()
    };
    let page = persistence::plans::list_measures(state.store.conn(), &filter, &page).await?;
    let items = views(state.store.conn(), page.items, who.as_ref(), None).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse { items, next_cursor: page.next_cursor, total: page.total }))
}

create_one! {
    /// Add a measure (or an activity) to a draft plan.
    ///
    /// 422 when the hierarchy or dates do not hold: an activity under a measure of another goal
    /// (`goal_id` `parent_in_other_goal`) or due after it (`deadline` `after_parent_deadline`); a
    /// deadline after the plan's `valid_to` is an error, not a warning (`deadline`
    /// `after_plan_validity`: work due later belongs in the successor plan); an archived
    /// organization cannot be responsible (`responsible_organization_id` `organization_archived`).
    create: POST "/strategic-plans/{id}/measures", "create_strategic_plan_measure", "strategic-plans", MeasureInput => MeasureView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create_shown(&state, &who, key, &input, MeasureView::NAME, async |s| {
            let created = measures::create(s, *id, || input.clone().into_data()).await?;
            Ok(Shown { view: views(s.conn(), vec![created.clone()], Some(&who), None).await?.remove(0), ..Shown::<MeasureView>::of(&created) })
        })
        .await
    }
}

get_one! {
    /// Get a measure.
    get: GET "/measures/{id}", "get_measure", "strategic-plans", MeasureView, "The measure", MaybeAuth,
    |state, who, id| {
        let found = measures::get(state.store.conn(), who.as_ref(), *id).await?;
        let version = found.meta.version;
        let view = views(state.store.conn(), vec![found], who.as_ref(), None).await?.remove(0);
        Ok(ok_versioned(version, &view))
    }
}

update_one! {
    /// Update a measure of a draft plan (JSON merge patch); a plan in force is changed by a revision.
    ///
    /// The rules of creation apply; besides, a measure cannot be moved before an activity beneath
    /// it (`deadline` `before_activity_deadline`), and the plan's validity is checked only when
    /// the deadline is moved.
    update: PATCH "/measures/{id}", "update_measure", "strategic-plans", MeasureView, "A JSON merge patch of MeasureInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &MeasureData| merge_patch(&MeasureInput::from_data(current), patch.into_inner())?.into_data();
        write::update_shown(&state, &who, MeasureView::NAME, async |s| {
            let change = measures::update(s, *id, &if_match.0, edit).await?;
            let after =
                Shown { view: views(s.conn(), vec![change.after.clone()], Some(&who), None).await?.remove(0), ..Shown::<MeasureView>::of(&change.after) };
            Ok(Updated { before: Shown::of(&change.before), after })
        })
        .await
    }
}

delete_one! {
    /// Delete a measure of a draft plan.
    delete: DELETE "/measures/{id}", "delete_measure", "strategic-plans", "Deleted",
    |state, who, id, if_match| write::delete::<MeasureView>(&state, &who, async |s| measures::delete(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    // Goals first and reports last: the order the OpenAPI document lists them in.
    super::goals::configure(cfg);
    cfg.service(list).service(list_of_plan).service(create).service(get).service(update).service(delete);
    super::progress_reports::configure(cfg);
}

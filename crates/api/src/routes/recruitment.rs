//! Recruitment of localities (`/recruitment-rounds`, `/candidacies`): a round's questionnaire,
//! scoring criteria and predefined activities; its steps (`open`, `close`, `decide`); the
//! candidacies of territorial units; the assessors' scores; and the ranking. The rules are
//! `domain::recruitment`'s, the use cases `service::recruitment`'s. Recruitment is the
//! Agency's: hidden from partners.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use domain::recruitment::{
    ApprovingResolution, CandidacyData, CoFinancing, Criterion, Outcome, PredefinedActivity, Question, RoundAction, RoundData, RoundStatus, Score, Selection,
    Total,
};
use domain::registry::Record;
use persistence::recruitment::{Candidacy, CandidacyFilter, Round, RoundFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, GuardedReadErrors, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch};
use crate::routes::cooperations::CooperationView;
use crate::routes::partnerships::PartnershipView;
use crate::routes::shapes::{create_one, delete_one, get_one, update_one};
use crate::write::{self, Resource};
use service::recruitment::{self as use_cases, Points};

/// What a client sets on a recruitment round (while it is a draft).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RoundInput {
    /// The year the cooperations start in (e.g. 2014 for the 2014 recruitment).
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Places offered: how many candidacies the decision may select.
    #[schema(minimum = 1, maximum = 500)]
    pub places: u32,
    /// The application deadline (an instant; candidacies are accepted and changed until it).
    pub applications_until: DateTime<Utc>,
    /// The first day of the cooperations of the selected candidacies (not before the deadline).
    pub cooperation_start_on: NaiveDate,
    /// The timeline template of those cooperations (`GET /timeline-templates`: a built-in one or
    /// one an admin defined, not archived); default `standard_36`.
    #[serde(default)]
    pub template: Option<String>,
    /// The questionnaire.
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    #[serde(default)]
    pub questions: Vec<Question>,
    /// The scoring criteria (at least one).
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50)]
    pub criteria: Vec<Criterion>,
    /// The predefined activities on offer; each one a candidacy asks for adds its points.
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub activities: Vec<PredefinedActivity>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
}

impl RoundInput {
    pub(crate) fn into_data(self) -> ApiResult<RoundData> {
        self.validate()?;
        Ok(RoundData {
            year: self.year,
            title: self.title.trim().to_owned(),
            places: self.places,
            applications_until: self.applications_until,
            cooperation_start_on: self.cooperation_start_on,
            template: self.template.map(|t| t.trim().to_owned()).unwrap_or_else(|| "standard_36".to_owned()),
            questions: self.questions,
            criteria: self.criteria,
            activities: self.activities,
            note: opt_text(self.note),
        })
    }
    pub(crate) fn from_data(d: &RoundData) -> Self {
        Self {
            year: d.year,
            title: d.title.clone(),
            places: d.places,
            applications_until: d.applications_until,
            cooperation_start_on: d.cooperation_start_on,
            template: Some(d.template.clone()),
            questions: d.questions.clone(),
            criteria: d.criteria.clone(),
            activities: d.activities.clone(),
            note: d.note.clone(),
        }
    }
}

/// A recruitment round (výběrové řízení).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundView {
    #[serde(flatten)]
    pub meta: MetaView,
    #[serde(flatten)]
    pub content: RoundInput,
    /// draft → open → closed → decided.
    pub status: RoundStatus,
    /// When the round was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// The decision's note.
    pub decision_note: Option<String>,
}

impl Resource for RoundView {
    type Data = Round;
    const NAME: &'static str = "recruitment_round";
    const COLLECTION: &'static str = "/api/v1/recruitment-rounds";
    fn of(r: &Record<Round>) -> Self {
        Self {
            meta: (&r.meta).into(),
            content: RoundInput::from_data(&r.data.data),
            status: r.data.status,
            decided_at: r.data.decided_at,
            decision_note: r.data.decision_note.clone(),
        }
    }
}

list_query! {
    /// Filters of recruitment rounds (newest deadline first by default; sort by
    /// `applications_until`, `created_at`, `updated_at`).
    RoundQuery {
        year: Option<i32>,
        status: Option<RoundStatus>,
        include_archived: Option<bool>,
    }
}

/// List recruitment rounds.
#[utoipa::path(operation_id = "list_recruitment_rounds", tag = "recruitment", params(RoundQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of rounds", body = ListResponse<RoundView>), ListErrors))]
#[get("/recruitment-rounds")]
pub async fn list_rounds(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<RoundQuery>) -> ApiResult {
    let page = query.page()?;
    let filter = RoundFilter { year: query.year, status: query.status, include_archived: query.include_archived.unwrap_or(false) };
    let found = use_cases::list_rounds(state.store.conn(), &who, &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, |r| RoundView::of(&r))))
}

create_one! {
    /// Set up a recruitment round (status `draft`; admins).
    create_round: POST "/recruitment-rounds", "create_recruitment_round", "recruitment", RoundInput => RoundView,
    |state, who, key, body| {
        let input = body.into_inner();
        write::create::<RoundView>(&state, &who, key, &input, async |s| use_cases::create_round(s, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a recruitment round.
    get_round: GET "/recruitment-rounds/{id}", "get_recruitment_round", "recruitment", RoundView, "The round", Auth,
    |state, who, id| write::read::<RoundView>(use_cases::get_round(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a draft round (JSON merge patch); an open round's content is fixed (409).
    update_round: PATCH "/recruitment-rounds/{id}", "update_recruitment_round", "recruitment", RoundView, "A JSON merge patch of RoundInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &RoundData| merge_patch(&RoundInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<RoundView>(&state, &who, async |s| use_cases::update_round(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a draft round set up by mistake (a round that opened stays on record: 409).
    archive_round: DELETE "/recruitment-rounds/{id}", "archive_recruitment_round", "recruitment", "Archived",
    |state, who, id, if_match| write::archive::<RoundView>(&state, &who, async |s| use_cases::archive_round(s, *id, &if_match.0).await).await
}

/// Open the round for applications (draft → open; its deadline must be ahead).
#[utoipa::path(operation_id = "open_recruitment_round", tag = "recruitment",
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])), responses((status = 200, description = "The round, now open", body = RoundView), WriteErrors))]
#[post("/recruitment-rounds/{id}/open")]
pub async fn open_round(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, key: IdempotencyKey) -> ApiResult {
    let request = serde_json::json!({ "action": "open" });
    write::act::<RoundView>(&state, &who, key, "open", &request, async |s| use_cases::step_round(s, *id, &if_match.0, RoundAction::Open).await).await
}

/// Close the round (open → closed; its deadline must have passed). Scoring starts.
#[utoipa::path(operation_id = "close_recruitment_round", tag = "recruitment",
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])), responses((status = 200, description = "The round, now closed", body = RoundView), WriteErrors))]
#[post("/recruitment-rounds/{id}/close")]
pub async fn close_round(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, key: IdempotencyKey) -> ApiResult {
    let request = serde_json::json!({ "action": "close" });
    write::act::<RoundView>(&state, &who, key, "close", &request, async |s| use_cases::step_round(s, *id, &if_match.0, RoundAction::Close).await).await
}

/// The decision on a closed round.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// The candidacies selected (up to the places offered). A selection that passes over a
    /// better-ranked candidacy carries its `reason`.
    #[validate(length(max = 500))]
    #[schema(max_items = 500)]
    pub selections: Vec<Selection>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
}

/// Decide a closed round (final): every candidacy is marked `selected` or `not_selected` with
/// its rank, and each selected one becomes a cooperation (from the round's
/// `cooperation_start_on`, on its timeline template, with the predefined activities asked
/// for) with a partnership created in status `forming` for its unit; the candidacy links both.
/// Every candidacy must be fully scored (409 otherwise). Admins.
#[utoipa::path(operation_id = "decide_recruitment_round", tag = "recruitment", request_body = DecisionInput,
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])), responses((status = 200, description = "The round, now decided", body = RoundView), WriteErrors))]
#[post("/recruitment-rounds/{id}/decide")]
pub async fn decide(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    key: IdempotencyKey,
    body: web::Json<DecisionInput>,
) -> ApiResult {
    let input = body.into_inner();
    input.validate()?;
    write::act::<RoundView>(&state, &who, key, "decide", &input, async |s| {
        let decision = use_cases::decide(s, *id, &if_match.0, input.selections.clone(), input.note.clone()).await?;
        // The records the decision wrote besides the round: each audited (and in the change
        // feed) as if written by its own request.
        for p in &decision.partnerships {
            let view = json(&PartnershipView::of(p))?;
            s.tx().audit("create", PartnershipView::NAME, p.meta.id, None, Some(view)).await?;
        }
        for c in &decision.cooperations {
            let view = json(&CooperationView::of(c))?;
            s.tx().audit("create", CooperationView::NAME, c.meta.id, None, Some(view)).await?;
        }
        for c in &decision.candidacies {
            let before = json(&CandidacyView::of(&c.before))?;
            let after = json(&CandidacyView::of(&c.after))?;
            s.tx().audit("decide", CandidacyView::NAME, c.after.meta.id, Some(before), Some(after)).await?;
        }
        Ok(decision.round)
    })
    .await
}

fn json(view: &impl Serialize) -> service::Result<Value> {
    serde_json::to_value(view).map_err(|e| service::Error::Caller(Box::new(e)))
}

/// A candidacy in the ranking.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankingEntry {
    /// 1-based place.
    pub rank: u32,
    pub candidacy_id: Uuid,
    pub territorial_unit_id: Uuid,
    /// Computed: per criterion the assessors' mean points times the weight, plus the points of
    /// the predefined activities asked for.
    pub result: Total,
    /// After the decision: `selected` or `not_selected`.
    pub outcome: Option<Outcome>,
}

/// A round's ranking.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankingView {
    pub round_id: Uuid,
    pub status: RoundStatus,
    pub places: u32,
    /// Best first.
    pub candidacies: Vec<RankingEntry>,
}

/// The ranking of a round's standing candidacies, best first. Order: the computed total
/// (descending); ties go to the higher weighted criteria points without the activities (the
/// assessment of the candidacy itself), then to the earlier application (`created_at`), then
/// to the lower id.
#[utoipa::path(operation_id = "get_recruitment_ranking", tag = "recruitment", security(("bearer" = [])),
    responses((status = 200, description = "The ranking", body = RankingView), ReadErrors))]
#[get("/recruitment-rounds/{id}/ranking")]
pub async fn ranking(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let (round, list) = use_cases::ranking(state.store.conn(), &who, *id).await?;
    Ok(HttpResponse::Ok().json_body(RankingView {
        round_id: round.meta.id,
        status: round.data.status,
        places: round.data.data.places,
        candidacies: list
            .into_iter()
            .map(|r| RankingEntry {
                rank: r.rank,
                candidacy_id: r.candidacy.meta.id,
                territorial_unit_id: r.candidacy.data.data.territorial_unit_id,
                result: r.total,
                outcome: r.candidacy.data.outcome,
            })
            .collect(),
    }))
}

/// What a client sets on a candidacy (before the round's deadline).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CandidacyInput {
    /// The round applied to (stays).
    pub round_id: Uuid,
    /// The applying territorial unit: a municipality, union of municipalities, microregion or
    /// local action group (stays). One standing candidacy per unit per round.
    pub territorial_unit_id: Uuid,
    /// Answers by question key: a string (`text`, `choice`), a number or a boolean (`yes_no`).
    #[serde(default)]
    #[schema(value_type = Object, additional_properties = true)]
    pub answers: BTreeMap<String, Value>,
    /// The council's or assembly's resolution approving the application.
    pub resolution: ApprovingResolution,
    /// Codes of the round's predefined activities asked for.
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub activities: Vec<String>,
    pub co_financing: CoFinancing,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
}

impl CandidacyInput {
    pub(crate) fn into_data(self) -> ApiResult<CandidacyData> {
        self.validate()?;
        if self.answers.len() > 200 {
            return Err(ApiError::bad_request("answers", "too_many", "at most 200 answers"));
        }
        let mut resolution = self.resolution;
        resolution.number = resolution.number.trim().to_owned();
        let mut co_financing = self.co_financing;
        co_financing.note = opt_text(co_financing.note);
        Ok(CandidacyData {
            round_id: self.round_id,
            territorial_unit_id: self.territorial_unit_id,
            answers: self.answers,
            resolution,
            activities: self.activities.into_iter().map(|a| a.trim().to_owned()).collect(),
            co_financing,
            note: opt_text(self.note),
        })
    }
    pub(crate) fn from_data(d: &CandidacyData) -> Self {
        Self {
            round_id: d.round_id,
            territorial_unit_id: d.territorial_unit_id,
            answers: d.answers.clone(),
            resolution: d.resolution.clone(),
            activities: d.activities.clone(),
            co_financing: d.co_financing.clone(),
            note: d.note.clone(),
        }
    }
}

/// A candidacy (přihláška) of a territorial unit in a round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidacyView {
    #[serde(flatten)]
    pub meta: MetaView,
    #[serde(flatten)]
    pub content: CandidacyInput,
    /// Computed from the assessors' points and the activities asked for; never typed.
    pub result: Total,
    /// After the decision: `selected` or `not_selected`.
    pub outcome: Option<Outcome>,
    /// Its place in the ranking when the round was decided.
    pub rank: Option<u32>,
    /// Why it was selected over a better-ranked candidacy.
    pub selection_reason: Option<String>,
    /// Once selected: the partnership forming for its unit, and the cooperation.
    pub partnership_id: Option<Uuid>,
    pub cooperation_id: Option<Uuid>,
}

impl Resource for CandidacyView {
    type Data = Candidacy;
    const NAME: &'static str = "candidacy";
    const COLLECTION: &'static str = "/api/v1/candidacies";
    fn of(r: &Record<Candidacy>) -> Self {
        let c = &r.data;
        Self {
            meta: (&r.meta).into(),
            content: CandidacyInput::from_data(&c.data),
            result: c.total.clone(),
            outcome: c.outcome,
            rank: c.rank,
            selection_reason: c.selection_reason.clone(),
            partnership_id: c.partnership_id,
            cooperation_id: c.cooperation_id,
        }
    }
}

list_query! {
    /// Filters of candidacies (in the order received by default; sort by `created_at`, `updated_at`).
    CandidacyQuery {
        round_id: Option<Uuid>,
        territorial_unit_id: Option<Uuid>,
        outcome: Option<Outcome>,
        /// With withdrawn candidacies.
        include_archived: Option<bool>,
    }
}

/// List candidacies.
#[utoipa::path(operation_id = "list_candidacies", tag = "recruitment", params(CandidacyQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of candidacies", body = ListResponse<CandidacyView>), ListErrors))]
#[get("/candidacies")]
pub async fn list_candidacies(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<CandidacyQuery>) -> ApiResult {
    let page = query.page()?;
    let filter = CandidacyFilter {
        round_id: query.round_id,
        territorial_unit_id: query.territorial_unit_id,
        outcome: query.outcome,
        include_archived: query.include_archived.unwrap_or(false),
    };
    let found = use_cases::list_candidacies(state.store.conn(), &who, &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, |c| CandidacyView::of(&c))))
}

create_one! {
    /// Enter a candidacy received from a territorial unit: while its round is open and until
    /// the deadline (409 after it); answers fit the questionnaire (admins, consultants, importers).
    create_candidacy: POST "/candidacies", "create_candidacy", "recruitment", CandidacyInput => CandidacyView,
    |state, who, key, body| {
        let input = body.into_inner();
        write::create::<CandidacyView>(&state, &who, key, &input, async |s| use_cases::create_candidacy(s, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a candidacy with its computed result.
    get_candidacy: GET "/candidacies/{id}", "get_candidacy", "recruitment", CandidacyView, "The candidacy", Auth,
    |state, who, id| write::read::<CandidacyView>(use_cases::get_candidacy(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Change a candidacy until its round's deadline (JSON merge patch; round and unit stay).
    update_candidacy: PATCH "/candidacies/{id}", "update_candidacy", "recruitment", CandidacyView, "A JSON merge patch of CandidacyInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &CandidacyData| merge_patch(&CandidacyInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<CandidacyView>(&state, &who, async |s| use_cases::update_candidacy(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Withdraw a candidacy until its round's deadline (the unit may apply again).
    withdraw_candidacy: DELETE "/candidacies/{id}", "withdraw_candidacy", "recruitment", "Withdrawn",
    |state, who, id, if_match| write::archive::<CandidacyView>(&state, &who, async |s| use_cases::withdraw_candidacy(s, *id, &if_match.0).await).await
}

/// One criterion's points.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PointsInput {
    /// A criterion key of the round.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub criterion: String,
    /// 0 to the criterion's `max_points`.
    #[schema(maximum = 100)]
    pub points: u32,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
}

/// The calling assessor's points. There is no total: it is computed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ScoresInput {
    #[validate(length(min = 1, max = 50), nested)]
    #[schema(min_items = 1, max_items = 50)]
    pub scores: Vec<PointsInput>,
}

/// Who scored what on a candidacy.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoresView {
    pub candidacy_id: Uuid,
    /// Every assessor's points (assessors are token subjects: admins and consultants read them).
    pub scores: Vec<Score>,
    pub result: Total,
}

/// Score a candidacy as the calling assessor (admins and consultants), in a closed round: the
/// points replace this assessor's earlier points on the criteria named; other assessors'
/// points stay. A typed `total` is refused (422 `computed`); points above a criterion's
/// maximum are refused (422 `above_maximum`). Answers the candidacy with its new result.
#[utoipa::path(operation_id = "score_candidacy", tag = "recruitment", request_body = ScoresInput,
    params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])), responses((status = 200, description = "The candidacy with its result", body = CandidacyView), WriteErrors))]
#[put("/candidacies/{id}/scores")]
pub async fn score(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    key: IdempotencyKey,
    body: web::Json<Value>,
) -> ApiResult {
    let raw = body.into_inner();
    let typed_total = ["total", "result"].into_iter().find(|k| raw.get(k).is_some());
    if let Some(field) = typed_total {
        return Err(ApiError::Unprocessable {
            detail: "the total is computed from the points per criterion and the activities asked for; send `scores` only".into(),
            errors: vec![domain::FieldError::new(field, "computed", "computed, never typed")],
        });
    }
    let input: ScoresInput = serde_json::from_value(raw).map_err(|e| ApiError::bad_request("body", "malformed", e.to_string()))?;
    input.validate()?;
    let points: Vec<Points> =
        input.scores.iter().map(|p| Points { criterion: p.criterion.trim().to_owned(), points: p.points, note: p.note.clone() }).collect();
    write::act::<CandidacyView>(&state, &who, key, "score", &input, async |s| use_cases::score(s, *id, &if_match.0, points).await).await
}

/// Who scored what on a candidacy (admins and consultants).
#[utoipa::path(operation_id = "get_candidacy_scores", tag = "recruitment", security(("bearer" = [])),
    responses((status = 200, description = "The assessors' points", body = ScoresView), GuardedReadErrors))]
#[get("/candidacies/{id}/scores")]
pub async fn scores(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let c = use_cases::scores(state.store.conn(), &who, *id).await?;
    Ok(HttpResponse::Ok().json_body(ScoresView { candidacy_id: c.meta.id, scores: c.data.scores.clone(), result: c.data.total.clone() }))
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list_rounds)
        .service(create_round)
        .service(get_round)
        .service(update_round)
        .service(archive_round)
        .service(open_round)
        .service(close_round)
        .service(decide)
        .service(ranking)
        .service(list_candidacies)
        .service(create_candidacy)
        .service(get_candidacy)
        .service(update_candidacy)
        .service(withdraw_candidacy)
        .service(score)
        .service(scores);
}

//! Strategic plans: their content while drafts, their lifecycle (submit, withdraw, the
//! council's and the assembly's approvals, expiry, revision), fulfilment and evaluations.
//! Approved plans are public documents; drafts and plans awaiting approval are the
//! partnership's internal records ([`domain::access::may_read_document`]).

use chrono::NaiveDate;
use domain::access::{Action, Principal, may_read_document};
use domain::fulfilment::Fulfilment;
use domain::partnership::Activity;
use domain::plan::{self, Approval, PlanAction, PlanData, Step, Steps};
use persistence::Conn;
use persistence::plans::{self as repo, Evaluation, PlanRecord, StatusChange};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated, partnerships};

/// Whether the caller (`None`: anonymous) may see this plan.
pub fn visible(who: Option<&Principal>, plan: &PlanRecord) -> bool {
    may_read_document(who, plan.data.data.partnership_id, plan::is_public(plan.data.status))
}

/// A plan the caller may see: 404 otherwise.
#[tracing::instrument(name = "plans::get", skip_all, fields(%id))]
pub async fn get(conn: &impl Conn, who: Option<&Principal>, id: Uuid) -> Result<PlanRecord> {
    let plan = repo::get_plan(conn, id).await?;
    if visible(who, &plan) { Ok(plan) } else { Err(Error::not_found()) }
}

/// A plan the caller changes (its content, goals, measures, lifecycle, evaluations): 404
/// unless visible, 403 unless the caller writes the partnership's records, 409 when the plan
/// is archived or the partnership's status does not permit planning.
pub async fn changeable(s: &Session<'_>, id: Uuid) -> Result<PlanRecord> {
    let plan = get(s.conn(), Some(s.who()), id).await?;
    let partnership = plan.data.data.partnership_id;
    s.allow_known(Action::WriteRecords { partnership }).await?;
    plan::ensure_not_archived(plan.meta.archived_at.is_some())?;
    partnerships::permits(s.conn(), partnership, Activity::Planning).await?;
    Ok(plan)
}

/// [`changeable`], for a business decision about the plan (403 to the importer too).
async fn decidable(s: &Session<'_>, id: Uuid) -> Result<PlanRecord> {
    let plan = changeable(s, id).await?;
    s.allow_known(Action::Decide { partnership: plan.data.data.partnership_id }).await?;
    Ok(plan)
}

/// Starts a plan (version 1, a draft) in a partnership.
#[tracing::instrument(name = "plans::create", skip_all, fields(%partnership_id))]
pub async fn create<E>(s: &Session<'_>, partnership_id: Uuid, content: impl FnOnce() -> Result<PlanData, E>) -> Result<PlanRecord>
where
    Error: From<E>,
{
    let partnership = partnerships::load(s.conn(), partnership_id).await?;
    s.allow_known(Action::WriteRecords { partnership: partnership_id }).await?;
    domain::partnership::permits(partnership.data.status, Activity::Planning)?;
    Ok(repo::create_plan(s.tx(), content()?).await?)
}

/// Changes a draft's content.
#[tracing::instrument(name = "plans::update", skip_all, fields(%id))]
pub async fn update<E>(s: &Session<'_>, id: Uuid, expect: &Precondition, edit: impl FnOnce(&PlanData) -> Result<PlanData, E>) -> Result<Updated<PlanRecord>>
where
    Error: From<E>,
{
    let before = changeable(s, id).await?;
    let data = edit(&before.data.data)?;
    expect.check(before.meta.version)?;
    plan::ensure_draft(before.data.status)?;
    let after = repo::update_plan(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives a draft (approved plans are history and stay).
#[tracing::instrument(name = "plans::archive", skip_all, fields(%id))]
pub async fn archive(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<PlanRecord>> {
    let before = changeable(s, id).await?;
    expect.check(before.meta.version)?;
    plan::ensure_draft(before.data.status)?;
    let after = repo::archive_plan(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// What a lifecycle step records: its day and, for an approval, the session's resolution.
#[derive(Debug, Clone)]
pub enum StepRecord {
    Submit { on: NaiveDate },
    Withdraw,
    ApproveByCouncil(Approval),
    ApproveByAssembly(Approval),
    Expire { on: NaiveDate },
}

impl StepRecord {
    pub fn action(&self) -> PlanAction {
        match self {
            Self::Submit { .. } => PlanAction::Submit,
            Self::Withdraw => PlanAction::Withdraw,
            Self::ApproveByCouncil(_) => PlanAction::ApproveByCouncil,
            Self::ApproveByAssembly(_) => PlanAction::ApproveByAssembly,
            Self::Expire { .. } => PlanAction::Expire,
        }
    }

    fn change(self) -> StatusChange {
        match self {
            Self::Submit { on } => StatusChange { submitted_on: Some(on), ..Default::default() },
            Self::Withdraw => StatusChange { reset: true, ..Default::default() },
            Self::ApproveByCouncil(a) => StatusChange { council: Some(a), ..Default::default() },
            Self::ApproveByAssembly(a) => StatusChange { assembly: Some(a), ..Default::default() },
            Self::Expire { on } => StatusChange { ended_on: Some(on), ..Default::default() },
        }
    }
}

/// Takes a step of the plan's lifecycle ([`domain::plan::check_step`]). A plan approved by
/// the assembly after its validity ended is never in force past it: it expires at once.
#[tracing::instrument(name = "plans::take_step", skip_all, fields(%id, action = step.action().name()))]
pub async fn take_step(s: &Session<'_>, id: Uuid, expect: &Precondition, step: StepRecord) -> Result<Updated<PlanRecord>> {
    let before = decidable(s, id).await?;
    expect.check(before.meta.version)?;
    let action = step.action();
    let predecessor_approved_on = match (action, before.data.predecessor_id) {
        (PlanAction::ApproveByAssembly, Some(p)) => repo::get_plan(s.conn(), p).await?.data.assembly_approval.map(|a| a.date),
        _ => None,
    };
    let p = &before.data;
    let facts = Steps {
        status: p.status,
        submitted_on: p.submitted_on,
        council_approved_on: p.council_approval.as_ref().map(|a| a.date),
        assembly_approved_on: p.assembly_approval.as_ref().map(|a| a.date),
        valid_to: p.data.valid_to,
        predecessor_approved_on,
    };
    let (day, approval) = match &step {
        StepRecord::Submit { on } | StepRecord::Expire { on } => (Some(*on), None),
        StepRecord::ApproveByCouncil(a) | StepRecord::ApproveByAssembly(a) => (Some(a.date), Some(a)),
        StepRecord::Withdraw => (None, None),
    };
    let next = plan::check_step(&facts, &Step { action, day, approval }, s.today())?;
    let mut after = repo::set_plan_status(s.tx(), &before, next, step.change()).await?;
    if action == PlanAction::ApproveByAssembly
        && let Some(expired) = repo::expire_if_lapsed(s.tx(), &after, s.today()).await?
    {
        after = expired;
    }
    Ok(Updated { before, after })
}

/// Revises a plan in force: the next version, a draft with a copy of all goals and measures.
#[tracing::instrument(name = "plans::revise", skip_all, fields(%id))]
pub async fn revise(s: &Session<'_>, id: Uuid) -> Result<PlanRecord> {
    let current = decidable(s, id).await?;
    plan::ensure_revisable(current.data.status)?;
    Ok(repo::revise(s.tx(), &current).await?)
}

/// The plan's fulfilment as of a day: counts by status, overdue measures, indicators (with
/// their values per period aggregated as of the day).
pub async fn fulfilment_of(conn: &impl Conn, plan: &PlanRecord, as_of: NaiveDate) -> Result<Fulfilment> {
    Ok(fulfilment_in_detail(conn, plan, as_of).await?.fulfilment)
}

/// A plan's fulfilment with what it was computed from: the goals and each measure's state
/// (its latest report as of the day), for a monitoring page that lists them.
pub struct FulfilmentDetail {
    pub fulfilment: Fulfilment,
    pub goals: Vec<domain::fulfilment::GoalNode>,
    pub measures: Vec<domain::fulfilment::MeasureState>,
}

/// [`fulfilment_of`], keeping the goals and measure states it was computed from.
pub async fn fulfilment_in_detail(conn: &impl Conn, plan: &PlanRecord, as_of: NaiveDate) -> Result<FulfilmentDetail> {
    let (goals, mut measures, series) = repo::fulfilment_input(conn, plan.meta.id, as_of).await?;
    domain::indicator::apply_series(&mut measures, &series, as_of);
    let fulfilment = domain::fulfilment::compute(&goals, &measures, as_of);
    Ok(FulfilmentDetail { fulfilment, goals, measures })
}

/// [`fulfilment_of`] a plan of a partnership whose records the caller reads (404 otherwise).
#[tracing::instrument(name = "plans::fulfilment", skip_all, fields(%id))]
pub async fn fulfilment(conn: &impl Conn, who: &Principal, id: Uuid, as_of: NaiveDate) -> Result<Fulfilment> {
    let plan = repo::get_plan(conn, id).await?;
    who.authorize(Action::Read { partnership: plan.data.data.partnership_id })?;
    fulfilment_of(conn, &plan, as_of).await
}

/// What an evaluation says; its fulfilment is frozen as of `as_of` when it is recorded.
#[derive(Debug, Clone)]
pub struct EvaluationContent {
    pub as_of: Option<NaiveDate>,
    pub narrative: String,
    pub recommendations: Option<String>,
}

/// Evaluates an approved plan as of a day that has come, freezing its fulfilment then.
#[tracing::instrument(name = "plans::evaluate", skip_all, fields(%id))]
pub async fn evaluate(s: &Session<'_>, id: Uuid, content: EvaluationContent) -> Result<Evaluation> {
    let plan = decidable(s, id).await?;
    let as_of = content.as_of.unwrap_or(s.today());
    plan::ensure_evaluable(plan.data.status)?;
    partnerships::permits(s.conn(), plan.data.data.partnership_id, Activity::Monitoring).await?;
    plan::check_evaluation_day(as_of, s.today())?;
    let frozen = fulfilment_of(s.conn(), &plan, as_of).await?;
    let evaluation = Evaluation {
        id: Uuid::now_v7(),
        plan_id: plan.meta.id,
        as_of,
        narrative: content.narrative,
        recommendations: content.recommendations,
        fulfilment: serde_json::to_value(&frozen).map_err(|e| Error::Caller(Box::new(e)))?,
        created_by: s.who().subject.clone(),
        created_at: persistence::now(),
    };
    Ok(repo::add_evaluation(s.tx(), &plan, evaluation).await?)
}

/// An evaluation, to a caller who reads the partnership's records.
#[tracing::instrument(name = "plans::get_evaluation", skip_all, fields(%id))]
pub async fn get_evaluation(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<Evaluation> {
    let (partnership, found) = repo::get_evaluation(conn, id).await?;
    who.authorize(Action::Read { partnership })?;
    Ok(found)
}

/// The plan a nested list of internal records (evaluations) belongs to: 404 unless the caller
/// reads the partnership's records.
pub async fn readable(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<PlanRecord> {
    let plan = repo::get_plan(conn, id).await?;
    who.authorize(Action::Read { partnership: plan.data.data.partnership_id })?;
    Ok(plan)
}

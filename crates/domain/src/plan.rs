//! Strategic plans: the lifecycle of approval, and the content of goals, measures and their
//! indicators. A plan can be edited only while it is a draft; a plan in force changes only
//! through a revision (a new draft version that supersedes it once in force).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codelist::{Coded, FundingSource, GoalLevel, IndicatorAggregation, IndicatorKind, IndicatorMeasure, MeasureKind, PlanStatus, ThematicArea};
use crate::error::Violations;
use crate::money::{self, Money};
use crate::period::ensure_ordered;
use crate::{DomainError, FieldError};

/// An explicit action on a plan's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanAction {
    /// draft → submitted (to the municipal council).
    Submit,
    /// submitted or council_approved → draft (returned for changes, e.g. the assembly refused it).
    Withdraw,
    /// submitted → council_approved.
    ApproveByCouncil,
    /// council_approved → in_force (the assembly approved it).
    ApproveByAssembly,
    /// in_force → expired.
    Expire,
}

impl PlanAction {
    pub fn name(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Withdraw => "withdraw",
            Self::ApproveByCouncil => "approve_by_council",
            Self::ApproveByAssembly => "approve_by_assembly",
            Self::Expire => "expire",
        }
    }
}

/// The status after `action`, or 409 when the action is illegal in `from`.
pub fn transition(from: PlanStatus, action: PlanAction) -> Result<PlanStatus, DomainError> {
    use PlanAction as A;
    use PlanStatus as S;
    match (from, action) {
        (S::Draft, A::Submit) => Ok(S::Submitted),
        (S::Submitted | S::CouncilApproved, A::Withdraw) => Ok(S::Draft),
        (S::Submitted, A::ApproveByCouncil) => Ok(S::CouncilApproved),
        (S::CouncilApproved, A::ApproveByAssembly) => Ok(S::InForce),
        (S::InForce, A::Expire) => Ok(S::Expired),
        (from, action) => Err(DomainError::Conflict(format!("a plan in status `{}` cannot `{}`", from.code(), action.name()))),
    }
}

/// Only a draft's content (and its goals and measures) may change.
pub fn ensure_draft(status: PlanStatus) -> Result<(), DomainError> {
    if status == PlanStatus::Draft {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!("the plan is `{}`: only a draft can be edited; revise a plan in force to change it", status.code())))
    }
}

/// Only a plan in force may be revised.
pub fn ensure_revisable(status: PlanStatus) -> Result<(), DomainError> {
    if status == PlanStatus::InForce {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!("only a plan in force can be revised; this one is `{}`", status.code())))
    }
}

/// Whether a plan's content is public information (approved by the assembly).
pub fn is_public(status: PlanStatus) -> bool {
    matches!(status, PlanStatus::InForce | PlanStatus::Superseded | PlanStatus::Expired)
}

/// The facts that decide whether a plan was in force on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub status: PlanStatus,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// The assembly's approval (entry into force).
    pub approved_on: Option<NaiveDate>,
    /// The last day in force (superseded or expired), if it ended.
    pub ended_on: Option<NaiveDate>,
}

impl Validity {
    /// In force on `day`: approved by the assembly on or before it, within the plan's validity,
    /// and not yet ended (`ended_on` is the last day in force). Drafts and submissions never are.
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        let approved = matches!(self.status, PlanStatus::InForce | PlanStatus::Superseded | PlanStatus::Expired);
        approved && self.approved_on.is_some_and(|a| a <= day) && self.valid_from <= day && day <= self.valid_to && self.ended_on.is_none_or(|e| day <= e)
    }

    /// A plan still recorded as in force whose validity ended before `today`: it expires, its
    /// last day in force being `valid_to` (the expiry job's rule).
    pub fn lapsed(&self, today: NaiveDate) -> Option<NaiveDate> {
        (self.status == PlanStatus::InForce && self.valid_to < today).then_some(self.valid_to)
    }
}

/// The dates of a step on the plan's lifecycle, checked against `today` and the steps before
/// it: no decision in the future; council on or after the submission, assembly on or after the
/// council; a successor enters into force no earlier than its predecessor did (the
/// predecessor's `ended_on` is the successor's approval day).
pub fn check_step_date(
    date: NaiveDate,
    today: NaiveDate,
    field: &str,
    previous_step: Option<NaiveDate>,
    predecessor_approved_on: Option<NaiveDate>,
) -> Result<(), DomainError> {
    let mut v = Violations::new();
    v.check(crate::period::not_in_future(date, today, field));
    if let Some(earlier) = previous_step.filter(|e| date < *e) {
        v.push(FieldError::new(field, "before_previous_step", format!("this step ({date}) cannot precede the previous step ({earlier})")));
    }
    if let Some(earlier) = predecessor_approved_on.filter(|e| date < *e) {
        v.push(FieldError::new(
            field,
            "before_predecessor",
            format!("the new version cannot enter into force ({date}) before the version it supersedes did ({earlier})"),
        ));
    }
    v.into_result()
}

/// Where a plan stands on its lifecycle: the facts a step is checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct Steps {
    pub status: PlanStatus,
    pub submitted_on: Option<NaiveDate>,
    pub council_approved_on: Option<NaiveDate>,
    pub assembly_approved_on: Option<NaiveDate>,
    pub valid_to: NaiveDate,
    /// The day the version this one revises entered into force (for a revision).
    pub predecessor_approved_on: Option<NaiveDate>,
}

/// A step asked for: the action, its day (submission, approval or end) and the approval it
/// records, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<'a> {
    pub action: PlanAction,
    pub day: Option<NaiveDate>,
    pub approval: Option<&'a Approval>,
}

/// Every rule of a lifecycle step, in the order a client learns of them: the transition (409),
/// the approval's own content, the step's date against today and the steps before it, and an
/// assembly approval within the plan's validity (422). Answers the status after the step.
pub fn check_step(plan: &Steps, step: &Step<'_>, today: NaiveDate) -> Result<PlanStatus, DomainError> {
    let next = transition(plan.status, step.action)?;
    if let Some(approval) = step.approval {
        approval.validate(None)?;
    }
    let previous = match step.action {
        PlanAction::ApproveByCouncil => plan.submitted_on,
        PlanAction::ApproveByAssembly => plan.council_approved_on,
        PlanAction::Expire => plan.assembly_approved_on,
        PlanAction::Submit | PlanAction::Withdraw => None,
    };
    let predecessor = if step.action == PlanAction::ApproveByAssembly { plan.predecessor_approved_on } else { None };
    if let Some(day) = step.day {
        check_step_date(day, today, "date", previous, predecessor)?;
    }
    if let (PlanAction::ApproveByAssembly, Some(approval)) = (step.action, step.approval) {
        ensure_enters_within_validity(approval.date, plan.valid_to)?;
    }
    Ok(next)
}

/// An archived plan (a draft withdrawn for good) no longer changes, nor do its goals and
/// measures.
pub fn ensure_not_archived(archived: bool) -> Result<(), DomainError> {
    if archived { Err(DomainError::Conflict("the plan is archived; it can no longer change".into())) } else { Ok(()) }
}

/// Progress is reported on a measure of the plan in force today, about a past day or today.
/// A completed measure is done in full (its percentage is 100 whatever was sent).
pub fn check_progress_report(plan_status: PlanStatus, validity: &Validity, reported_on: NaiveDate, today: NaiveDate) -> Result<(), DomainError> {
    ensure_monitored(plan_status, validity, today, "progress is")?;
    if reported_on > today {
        return Err(DomainError::invalid("reported_on", "in_future", "progress is reported on a past day or today"));
    }
    Ok(())
}

/// What is monitored (`what`: "progress is", "indicator values are") is reported on a measure
/// of the plan in force today (409 otherwise).
pub fn ensure_monitored(plan_status: PlanStatus, validity: &Validity, today: NaiveDate, what: &str) -> Result<(), DomainError> {
    if plan_status != PlanStatus::InForce {
        return Err(DomainError::Conflict(format!("{what} reported on a plan in force; this plan is `{}`", plan_status.code())));
    }
    if !validity.in_force_on(today) {
        return Err(DomainError::Conflict(format!("{what} reported on a plan in force today; today is outside this plan's validity")));
    }
    Ok(())
}

/// The percentage a report records: 100 for a completed measure, what was sent otherwise.
pub fn reported_percent(status: crate::codelist::ProgressStatus, percent_done: i32) -> i32 {
    if status == crate::codelist::ProgressStatus::Completed { 100 } else { percent_done }
}

/// Only an approved plan (in force, superseded or expired) is evaluated (409).
pub fn ensure_evaluable(plan_status: PlanStatus) -> Result<(), DomainError> {
    if is_public(plan_status) { Ok(()) } else { Err(DomainError::Conflict("only an approved plan (in force, superseded or expired) is evaluated".into())) }
}

/// An evaluation is as of a day that has come (422 `as_of` `in_future`).
pub fn check_evaluation_day(as_of: NaiveDate, today: NaiveDate) -> Result<(), DomainError> {
    crate::period::not_in_future(as_of, today, "as_of").map_err(|e| DomainError::Invalid(vec![e]))
}

/// A plan enters into force within its validity: an assembly approval dated after `valid_to`
/// would put into force a plan that already ended (422 `after_validity` on `date`).
pub fn ensure_enters_within_validity(approved_on: NaiveDate, valid_to: NaiveDate) -> Result<(), DomainError> {
    if approved_on > valid_to {
        Err(DomainError::invalid("date", "after_validity", format!("the plan was valid until {valid_to}; it cannot enter into force on {approved_on}")))
    } else {
        Ok(())
    }
}

/// What a client sets on a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanData {
    pub partnership_id: Uuid,
    pub title: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// The situational analysis the plan builds on.
    pub analysis_id: Option<Uuid>,
}

impl PlanData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if self.title.trim().is_empty() {
            v.push(FieldError::new("title", "blank", "title must not be blank"));
        }
        v.check(ensure_ordered(Some(self.valid_from), Some(self.valid_to), "valid_to", "valid_from"));
        v.into_result().map(|()| self)
    }
}

/// An approval step: the date and the number of the council's or assembly's resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The day of the session.
    pub date: NaiveDate,
    /// e.g. `RM/45/2019`.
    pub resolution_number: String,
}

impl Approval {
    pub fn validate(&self, not_before: Option<NaiveDate>) -> Result<(), DomainError> {
        let mut v = Violations::new();
        if self.resolution_number.trim().is_empty() {
            v.push(FieldError::new("resolution_number", "blank", "the resolution number is required"));
        }
        if let Some(earlier) = not_before.filter(|e| self.date < *e) {
            v.push(FieldError::new("date", "before_previous_step", format!("the approval ({}) cannot precede the previous step ({earlier})", self.date)));
        }
        v.into_result()
    }
}

/// A goal of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalData {
    pub code: String,
    pub title: String,
    pub thematic_area: Option<ThematicArea>,
    pub level: GoalLevel,
    pub parent_goal_id: Option<Uuid>,
    pub description: Option<String>,
}

fn check_code(v: &mut Violations, code: &str) {
    let ok = !code.is_empty() && code.len() <= 20 && code.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok {
        v.push(FieldError::new("code", "format", "a code is dot-separated letters and digits, e.g. `2.1.3`"));
    }
}

impl GoalData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        check_code(&mut v, &self.code);
        if self.title.trim().is_empty() {
            v.push(FieldError::new("title", "blank", "title must not be blank"));
        }
        v.into_result().map(|()| self)
    }
}

/// One line of a measure's estimated budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BudgetLine {
    pub source: FundingSource,
    pub amount: Money,
    /// For ESIF money: the call (programme and number) expected to finance it.
    #[serde(default)]
    pub call_reference: Option<String>,
}

/// A measurable indicator of a measure. `key` identifies it within the measure across
/// versions of the plan, and progress reports name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Unique within the measure, e.g. `I1`.
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub unit: Option<String>,
    pub kind: IndicatorKind,
    /// `true` when more is better; `false` when the target is below the baseline.
    pub ascending: bool,
    #[serde(default)]
    pub baseline_value: Option<f64>,
    #[serde(default)]
    pub baseline_year: Option<i32>,
    /// The target; for a qualitative indicator leave it out and describe it in `target_text`.
    #[serde(default)]
    pub target_value: Option<f64>,
    #[serde(default)]
    pub target_text: Option<String>,
    #[serde(default)]
    pub target_date: Option<NaiveDate>,
    /// How values reported per period add up: `cumulative` (the default: the latest value
    /// stands for the total so far) or `flow` (the values of the periods add up; only for a
    /// `unit` measure).
    #[serde(default)]
    pub aggregation: IndicatorAggregation,
    /// The IATI measure of the values. Left out, it follows `kind`: `count` → `unit`,
    /// `percentage` → `percentage`, `qualitative` → `qualitative`.
    #[serde(default)]
    pub measure: Option<IndicatorMeasure>,
}

impl Indicator {
    /// The measure of the values: the declared one, or the one `kind` implies.
    pub fn effective_measure(&self) -> IndicatorMeasure {
        self.measure.unwrap_or(match self.kind {
            IndicatorKind::Count => IndicatorMeasure::Unit,
            IndicatorKind::Percentage => IndicatorMeasure::Percentage,
            IndicatorKind::Qualitative => IndicatorMeasure::Qualitative,
        })
    }
}

/// Whether a declared measure agrees with the indicator's kind.
fn measure_fits_kind(measure: IndicatorMeasure, kind: IndicatorKind) -> bool {
    use IndicatorMeasure as M;
    match kind {
        IndicatorKind::Count => matches!(measure, M::Unit | M::Nominal | M::Ordinal),
        IndicatorKind::Percentage => measure == M::Percentage,
        IndicatorKind::Qualitative => measure == M::Qualitative,
    }
}

/// A measure (or an activity beneath one): what will be done, by whom, by when, for how much.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureData {
    pub goal_id: Uuid,
    pub kind: MeasureKind,
    /// For an activity: the measure it belongs to.
    pub parent_measure_id: Option<Uuid>,
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub thematic_area: ThematicArea,
    /// Needs (from the partnership's analyses) the measure answers.
    pub need_ids: Vec<Uuid>,
    /// The responsible implementer: a member organisation of the partnership.
    pub responsible_organization_id: Option<Uuid>,
    pub co_implementer_ids: Vec<Uuid>,
    pub starts_on: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub budget: Vec<BudgetLine>,
    /// One of the Agency's predefined activities.
    pub predefined_activity: bool,
    pub indicators: Vec<Indicator>,
}

impl MeasureData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        check_code(&mut v, &self.code);
        if self.title.trim().is_empty() {
            v.push(FieldError::new("title", "blank", "title must not be blank"));
        }
        match (self.kind, self.parent_measure_id) {
            (MeasureKind::Activity, None) => v.push(FieldError::new("parent_measure_id", "required", "an activity belongs to a measure")),
            (MeasureKind::Measure, Some(_)) => v.push(FieldError::new("parent_measure_id", "not_applicable", "only an activity has a parent measure")),
            _ => {}
        }
        v.check(ensure_ordered(self.starts_on, self.deadline, "deadline", "starts_on"));
        for (i, line) in self.budget.iter().enumerate() {
            v.check(line.amount.validate(&format!("budget[{i}].amount")));
        }
        match money::try_sum(self.budget.iter().map(|l| &l.amount)) {
            Ok(_) => {}
            Err(money::SumError::MixedCurrencies) => v.push(FieldError::new("budget", "mixed_currencies", "all budget lines use one currency")),
            Err(money::SumError::Overflow) => {
                v.push(FieldError::new("budget", "overflow", "the budget lines add up to more than the largest amount that can be stored"))
            }
        }
        let mut keys = std::collections::HashSet::new();
        for (i, ind) in self.indicators.iter().enumerate() {
            if ind.key.trim().is_empty() || !keys.insert(ind.key.as_str()) {
                v.push(FieldError::new(format!("indicators[{i}].key"), "duplicate", "indicator keys are non-blank and unique within the measure"));
            }
            if ind.name.trim().is_empty() {
                v.push(FieldError::new(format!("indicators[{i}].name"), "blank", "an indicator needs a name"));
            }
            let numeric = ind.kind != IndicatorKind::Qualitative;
            if numeric && ind.target_value.is_none() {
                v.push(FieldError::new(format!("indicators[{i}].target_value"), "required", "a count or percentage indicator needs a target value"));
            }
            if !numeric && ind.target_text.as_deref().is_none_or(|t| t.trim().is_empty()) {
                v.push(FieldError::new(format!("indicators[{i}].target_text"), "required", "a qualitative indicator describes its target in target_text"));
            }
            for (field, value) in [("baseline_value", ind.baseline_value), ("target_value", ind.target_value)] {
                if value.is_some_and(|x| !x.is_finite() || (ind.kind == IndicatorKind::Percentage && !(0.0..=100.0).contains(&x))) {
                    v.push(FieldError::new(format!("indicators[{i}].{field}"), "out_of_range", "a value is a finite number; a percentage is 0–100"));
                }
            }
            if ind.measure.is_some_and(|m| !measure_fits_kind(m, ind.kind)) {
                v.push(FieldError::new(
                    format!("indicators[{i}].measure"),
                    "inconsistent_with_kind",
                    "a count is measured in unit, nominal or ordinal values; a percentage in percentage; a qualitative indicator is qualitative",
                ));
            }
            if ind.aggregation == IndicatorAggregation::Flow && ind.effective_measure() != IndicatorMeasure::Unit {
                v.push(FieldError::new(
                    format!("indicators[{i}].aggregation"),
                    "not_additive",
                    "only values measured in units add up over periods (`flow`); use `cumulative`",
                ));
            }
            if let (Some(b), Some(t)) = (ind.baseline_value, ind.target_value)
                && ((ind.ascending && t < b) || (!ind.ascending && t > b))
            {
                v.push(FieldError::new(
                    format!("indicators[{i}].target_value"),
                    "direction",
                    "the target lies on the wrong side of the baseline for this direction",
                ));
            }
        }
        v.into_result().map(|()| self)
    }

    /// The estimated budget: the exact sum of its lines (one currency).
    pub fn budget_total(&self) -> Option<Money> {
        money::sum(self.budget.iter().map(|l| &l.amount)).flatten()
    }
}

/// The facts a measure's content is checked against, loaded by the store inside the write.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureFacts<'a> {
    /// The content before this change (`None` for a new measure).
    pub previous: Option<&'a MeasureData>,
    /// The plan's last day of validity.
    pub plan_valid_to: NaiveDate,
    /// Whether `goal_id` names a goal of this plan.
    pub goal_in_plan: bool,
    /// `parent_measure_id`'s placement when it names another measure (not an activity) of
    /// this plan; `None` when it names nothing usable (or no parent is set).
    pub parent: Option<Placement>,
    /// The deadlines of the activities beneath this measure (empty for a new one).
    pub activity_deadlines: Vec<Option<NaiveDate>>,
    /// The responsible organization's standing in the partnership, when it is assigned or
    /// changed by this write (a revision may keep an implementer who has left).
    pub responsible: Option<crate::registry::Standing>,
}

/// Every rule of a measure that needs other rows: hierarchy (an activity under a measure of
/// this plan, inside it; a measure with activities stays a measure under its goal and covers
/// their deadlines), the plan's validity (checked when the deadline is set or moved, so that
/// older data stays editable) and a responsible implementer that is a member today.
pub fn check_measure(d: &MeasureData, facts: &MeasureFacts<'_>, today: NaiveDate) -> Result<(), DomainError> {
    let has_activities = !facts.activity_deadlines.is_empty();
    if facts.previous.is_some() && d.kind == MeasureKind::Activity && has_activities {
        return Err(DomainError::invalid("kind", "has_activities", "a measure with activities cannot become an activity"));
    }
    if !facts.goal_in_plan {
        return Err(DomainError::invalid("goal_id", "not_in_plan", "the goal is not a goal of this plan"));
    }
    if d.parent_measure_id.is_some() {
        let Some(parent) = facts.parent else {
            return Err(DomainError::invalid("parent_measure_id", "not_in_plan", "the parent is not a measure of this plan"));
        };
        ensure_activity_within(Placement { goal_id: d.goal_id, deadline: d.deadline }, parent)?;
    }
    if let Some(previous) = facts.previous.filter(|_| d.kind == MeasureKind::Measure) {
        ensure_parent_covers(d.deadline, facts.activity_deadlines.iter().flatten().max().copied())?;
        ensure_goal_keeps_activities(previous.goal_id, d.goal_id, facts.activity_deadlines.len())?;
    }
    if facts.previous.is_none_or(|p| p.deadline != d.deadline) {
        ensure_within_validity(d.deadline, facts.plan_valid_to)?;
    }
    if let Some(standing) = &facts.responsible {
        crate::registry::ensure_member(
            "responsible_organization_id",
            standing,
            today,
            "the responsible organization must be a current member of the partnership",
        )?;
    }
    Ok(())
}

/// A goal's parent is a goal of the same plan (`goals`: each goal of the plan with its parent)
/// and not the goal itself or one beneath it.
pub fn check_goal_parent(this: Option<Uuid>, parent: Option<Uuid>, goals: &[(Uuid, Option<Uuid>)]) -> Result<(), DomainError> {
    let Some(parent) = parent else { return Ok(()) };
    if !goals.iter().any(|(id, _)| *id == parent) {
        return Err(DomainError::invalid("parent_goal_id", "not_in_plan", "the parent goal is not a goal of this plan"));
    }
    let Some(me) = this else { return Ok(()) };
    let mut at = Some(parent);
    for _ in 0..=goals.len() {
        match at {
            Some(g) if g == me => return Err(DomainError::invalid("parent_goal_id", "cycle", "a goal cannot sit beneath itself")),
            Some(g) => at = goals.iter().find(|(id, _)| *id == g).and_then(|(_, p)| *p),
            None => break,
        }
    }
    Ok(())
}

/// What the hierarchy rules need to know of a measure: its goal and deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub goal_id: Uuid,
    pub deadline: Option<NaiveDate>,
}

/// An activity lies inside its parent measure: under the same goal, and due no later than it.
pub fn ensure_activity_within(activity: Placement, parent: Placement) -> Result<(), DomainError> {
    let mut v = Violations::new();
    if activity.goal_id != parent.goal_id {
        v.push(FieldError::new("goal_id", "parent_in_other_goal", "an activity belongs to the goal of its parent measure"));
    }
    if let (Some(own), Some(theirs)) = (activity.deadline, parent.deadline)
        && own > theirs
    {
        v.push(FieldError::new("deadline", "after_parent_deadline", format!("the activity's deadline ({own}) is after its measure's ({theirs})")));
    }
    v.into_result()
}

/// A measure with activities keeps its goal: its activities belong to the goal of their
/// measure, and moving the measure would leave them under the old one (`goal_id`
/// `has_activities_in_other_goal`). Move or remove the activities first.
pub fn ensure_goal_keeps_activities(previous_goal_id: Uuid, goal_id: Uuid, activities: usize) -> Result<(), DomainError> {
    if previous_goal_id != goal_id && activities > 0 {
        return Err(DomainError::invalid(
            "goal_id",
            "has_activities_in_other_goal",
            format!("the measure has {activities} activities under its current goal; move or remove them first"),
        ));
    }
    Ok(())
}

/// A measure whose deadline would fall after activities already beneath it.
pub fn ensure_parent_covers(deadline: Option<NaiveDate>, latest_activity_deadline: Option<NaiveDate>) -> Result<(), DomainError> {
    match (deadline, latest_activity_deadline) {
        (Some(own), Some(activity)) if activity > own => Err(DomainError::invalid(
            "deadline",
            "before_activity_deadline",
            format!("an activity of this measure is due {activity}, after the measure's deadline ({own})"),
        )),
        _ => Ok(()),
    }
}

/// The other side of [`ensure_within_validity`]: a plan's validity cannot be shortened to end
/// before a deadline of its measures (`valid_to` `before_measure_deadline`).
pub fn ensure_validity_covers(valid_to: NaiveDate, latest_measure_deadline: Option<NaiveDate>) -> Result<(), DomainError> {
    match latest_measure_deadline {
        Some(d) if d > valid_to => Err(DomainError::invalid(
            "valid_to",
            "before_measure_deadline",
            format!("a measure of the plan is due {d}, after the new end of validity ({valid_to}); move its deadline first"),
        )),
        _ => Ok(()),
    }
}

/// A measure is due within its plan's validity: an error, not a warning. The plan binds its
/// measures only while valid; work due after it belongs to the successor plan (a revision),
/// and a deadline the plan can never monitor would make fulfilment and overdue reports lie.
pub fn ensure_within_validity(deadline: Option<NaiveDate>, valid_to: NaiveDate) -> Result<(), DomainError> {
    match deadline {
        Some(d) if d > valid_to => Err(DomainError::invalid(
            "deadline",
            "after_plan_validity",
            format!("the deadline ({d}) is after the end of the plan's validity ({valid_to}); plan it in the successor plan"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measure_with_activities_keeps_its_goal() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let cases = [(a, a, 0, None), (a, a, 3, None), (a, b, 0, None), (a, b, 1, Some(("goal_id", "has_activities_in_other_goal")))];
        for (previous, goal, activities, expected) in cases {
            let got = match ensure_goal_keeps_activities(previous, goal, activities) {
                Ok(()) => None,
                Err(DomainError::Invalid(e)) => Some((e[0].field.clone(), e[0].code.clone())),
                Err(other) => panic!("{other:?}"),
            };
            assert_eq!(got, expected.map(|(f, c)| (f.to_string(), c.to_string())), "{previous} -> {goal} with {activities}");
        }
    }

    #[test]
    fn approval_path_and_illegal_steps() {
        use PlanAction as A;
        use PlanStatus as S;
        let path = [
            (S::Draft, A::Submit, S::Submitted),
            (S::Submitted, A::ApproveByCouncil, S::CouncilApproved),
            (S::CouncilApproved, A::ApproveByAssembly, S::InForce),
            (S::InForce, A::Expire, S::Expired),
        ];
        for (from, action, to) in path {
            assert_eq!(transition(from, action), Ok(to));
        }
        let legal: Vec<(S, A)> = path.iter().map(|(f, a, _)| (*f, *a)).chain([(S::Submitted, A::Withdraw), (S::CouncilApproved, A::Withdraw)]).collect();
        for from in S::ALL {
            for action in [A::Submit, A::Withdraw, A::ApproveByCouncil, A::ApproveByAssembly, A::Expire] {
                assert_eq!(transition(*from, action).is_ok(), legal.contains(&(*from, action)), "{from:?} {action:?}");
            }
        }
    }

    #[test]
    fn only_drafts_are_editable_and_only_plans_in_force_revisable() {
        assert!(ensure_draft(PlanStatus::Draft).is_ok());
        assert!(ensure_draft(PlanStatus::InForce).is_err());
        assert!(ensure_revisable(PlanStatus::InForce).is_ok());
        assert!(ensure_revisable(PlanStatus::Draft).is_err());
        assert!(is_public(PlanStatus::Superseded) && !is_public(PlanStatus::Submitted));
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn in_force_only_within_validity_and_until_ended() {
        let rozvodi = Validity {
            status: PlanStatus::InForce,
            valid_from: day("2019-05-01"),
            valid_to: day("2022-12-31"),
            approved_on: Some(day("2019-04-24")),
            ended_on: None,
        };
        for (d, expected) in [("2019-04-30", false), ("2019-05-01", true), ("2022-12-31", true), ("2023-01-01", false), ("2026-11-20", false)] {
            assert_eq!(rozvodi.in_force_on(day(d)), expected, "{d}");
        }
        let expired = Validity { status: PlanStatus::Expired, ended_on: Some(day("2022-12-31")), ..rozvodi };
        assert!(expired.in_force_on(day("2020-01-01")), "history stays: it was in force then");
        let superseded = Validity { status: PlanStatus::Superseded, ended_on: Some(day("2021-03-01")), ..rozvodi };
        assert!(superseded.in_force_on(day("2021-03-01")) && !superseded.in_force_on(day("2021-03-02")));
        let late_approval = Validity { approved_on: Some(day("2019-06-01")), ..rozvodi };
        assert!(!late_approval.in_force_on(day("2019-05-15")));
        for status in [PlanStatus::Draft, PlanStatus::Submitted, PlanStatus::CouncilApproved] {
            assert!(!Validity { status, ..rozvodi }.in_force_on(day("2020-01-01")));
        }
        assert_eq!(rozvodi.lapsed(day("2026-12-01")), Some(day("2022-12-31")));
        assert_eq!(rozvodi.lapsed(day("2022-12-31")), None);
        assert_eq!(expired.lapsed(day("2026-12-01")), None, "idempotent: an expired plan does not expire again");
    }

    #[test]
    fn step_dates_are_past_and_ordered() {
        let today = day("2026-12-01");
        let code = |r: Result<(), DomainError>| match r {
            Ok(()) => vec![],
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| e.code).collect(),
            Err(other) => panic!("{other:?}"),
        };
        assert!(code(check_step_date(day("2019-04-24"), today, "date", Some(day("2019-04-08")), None)).is_empty());
        assert_eq!(code(check_step_date(day("2030-05-20"), today, "date", None, None)), ["in_future"]);
        assert_eq!(code(check_step_date(day("2019-04-01"), today, "date", Some(day("2019-04-08")), None)), ["before_previous_step"]);
        assert_eq!(code(check_step_date(day("2019-01-01"), today, "date", None, Some(day("2019-04-24")))), ["before_predecessor"]);
        assert!(code(check_step_date(day("2026-12-01"), today, "date", Some(day("2026-12-01")), Some(day("2026-12-01")))).is_empty());
        assert!(ensure_enters_within_validity(day("2022-12-31"), day("2022-12-31")).is_ok());
        assert_eq!(code(ensure_enters_within_validity(day("2023-01-02"), day("2022-12-31"))), ["after_validity"]);
    }

    fn measure() -> MeasureData {
        MeasureData {
            goal_id: Uuid::nil(),
            kind: MeasureKind::Measure,
            parent_measure_id: None,
            code: "2.1.3".into(),
            title: "Dluhová poradna".into(),
            description: None,
            thematic_area: ThematicArea::Debt,
            need_ids: vec![],
            responsible_organization_id: None,
            co_implementer_ids: vec![],
            starts_on: NaiveDate::from_ymd_opt(2019, 5, 1),
            deadline: NaiveDate::from_ymd_opt(2020, 12, 31),
            budget: vec![
                BudgetLine { source: FundingSource::Esif, amount: Money::czk(100), call_reference: None },
                BudgetLine { source: FundingSource::Municipal, amount: Money::czk(50), call_reference: None },
            ],
            predefined_activity: false,
            indicators: vec![],
        }
    }

    fn codes(r: Result<MeasureData, DomainError>) -> Vec<(String, String)> {
        match r {
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn measure_rules() {
        assert_eq!(measure().validate().map(|m| m.budget_total()), Ok(Some(Money::czk(150))));
        let late = MeasureData { deadline: NaiveDate::from_ymd_opt(2019, 4, 30), ..measure() };
        assert_eq!(codes(late.validate()), vec![("deadline".into(), "before_start".into())]);
        let bad_code = MeasureData { code: "2..1".into(), ..measure() };
        assert_eq!(codes(bad_code.validate()), vec![("code".into(), "format".into())]);
        let orphan = MeasureData { kind: MeasureKind::Activity, ..measure() };
        assert_eq!(codes(orphan.validate()), vec![("parent_measure_id".into(), "required".into())]);
        let mixed = MeasureData {
            budget: vec![
                BudgetLine { source: FundingSource::Other, amount: Money { amount_minor: 1, currency: "EUR".into() }, call_reference: None },
                measure().budget[0].clone(),
            ],
            ..measure()
        };
        assert_eq!(codes(mixed.validate()), vec![("budget".into(), "mixed_currencies".into())]);
        let huge = BudgetLine { source: FundingSource::Other, amount: Money::czk(i64::MAX), call_reference: None };
        let overflow = MeasureData { budget: vec![huge.clone(), huge], ..measure() };
        assert_eq!(codes(overflow.validate()), vec![("budget".into(), "overflow".into())]);
    }

    #[test]
    fn indicator_rules() {
        let ind = |kind, ascending, baseline: Option<f64>, target: Option<f64>| Indicator {
            key: "I1".into(),
            name: "Klienti poradny".into(),
            unit: None,
            kind,
            ascending,
            baseline_value: baseline,
            baseline_year: Some(2018),
            target_value: target,
            target_text: None,
            target_date: None,
            aggregation: IndicatorAggregation::Cumulative,
            measure: None,
        };
        let ok = MeasureData {
            indicators: vec![
                ind(IndicatorKind::Count, true, Some(0.0), Some(100.0)),
                Indicator { key: "I2".into(), ..ind(IndicatorKind::Percentage, false, Some(40.0), Some(20.0)) },
            ],
            ..measure()
        };
        assert!(ok.validate().is_ok());
        let wrong_side = MeasureData { indicators: vec![ind(IndicatorKind::Count, false, Some(10.0), Some(20.0))], ..measure() };
        assert_eq!(codes(wrong_side.validate()), vec![("indicators[0].target_value".into(), "direction".into())]);
        let pct = MeasureData { indicators: vec![ind(IndicatorKind::Percentage, true, Some(10.0), Some(120.0))], ..measure() };
        assert_eq!(codes(pct.validate()), vec![("indicators[0].target_value".into(), "out_of_range".into())]);
        let dup =
            MeasureData { indicators: vec![ind(IndicatorKind::Count, true, None, Some(1.0)), ind(IndicatorKind::Count, true, None, Some(2.0))], ..measure() };
        assert_eq!(codes(dup.validate()), vec![("indicators[1].key".into(), "duplicate".into())]);
        let qual = MeasureData { indicators: vec![ind(IndicatorKind::Qualitative, true, None, None)], ..measure() };
        assert_eq!(codes(qual.validate()), vec![("indicators[0].target_text".into(), "required".into())]);
    }

    #[test]
    fn indicator_measure_and_aggregation() {
        let ind = Indicator {
            key: "I1".into(),
            name: "Klienti".into(),
            unit: None,
            kind: IndicatorKind::Count,
            ascending: true,
            baseline_value: Some(0.0),
            baseline_year: None,
            target_value: Some(10.0),
            target_text: None,
            target_date: None,
            aggregation: IndicatorAggregation::Flow,
            measure: None,
        };
        // An old payload without the new fields reads as cumulative, measured as its kind implies.
        let old: Indicator = serde_json::from_value(serde_json::json!({"key": "I", "name": "x", "kind": "percentage", "ascending": true, "target_value": 5.0}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((old.aggregation, old.effective_measure()), (IndicatorAggregation::Cumulative, IndicatorMeasure::Percentage));
        assert!(MeasureData { indicators: vec![ind.clone()], ..measure() }.validate().is_ok());
        let pct_flow = Indicator { kind: IndicatorKind::Percentage, ..ind.clone() };
        assert_eq!(
            codes(MeasureData { indicators: vec![pct_flow], ..measure() }.validate()),
            vec![("indicators[0].aggregation".into(), "not_additive".into())]
        );
        let mismatch = Indicator { measure: Some(IndicatorMeasure::Percentage), aggregation: IndicatorAggregation::Cumulative, ..ind.clone() };
        assert_eq!(
            codes(MeasureData { indicators: vec![mismatch], ..measure() }.validate()),
            vec![("indicators[0].measure".into(), "inconsistent_with_kind".into())]
        );
        let ordinal = Indicator { measure: Some(IndicatorMeasure::Ordinal), aggregation: IndicatorAggregation::Cumulative, ..ind };
        assert!(MeasureData { indicators: vec![ordinal], ..measure() }.validate().is_ok());
    }

    #[test]
    fn hierarchy_and_validity() {
        let d = |s: &str| s.parse::<NaiveDate>().ok();
        let (g1, g2) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let parent = Placement { goal_id: g1, deadline: d("2021-06-30") };
        let cases = [
            (Placement { goal_id: g1, deadline: d("2021-06-30") }, vec![]),
            (Placement { goal_id: g1, deadline: None }, vec![]),
            (Placement { goal_id: g2, deadline: d("2021-01-01") }, vec![("goal_id", "parent_in_other_goal")]),
            (Placement { goal_id: g1, deadline: d("2021-07-01") }, vec![("deadline", "after_parent_deadline")]),
            (Placement { goal_id: g2, deadline: d("2022-01-01") }, vec![("goal_id", "parent_in_other_goal"), ("deadline", "after_parent_deadline")]),
        ];
        for (activity, expected) in cases {
            let got = match ensure_activity_within(activity, parent) {
                Ok(()) => vec![],
                Err(DomainError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
                Err(other) => panic!("{other:?}"),
            };
            let expected: Vec<(String, String)> = expected.into_iter().map(|(f, c)| (f.into(), c.into())).collect();
            assert_eq!(got, expected, "{activity:?}");
        }
        // Without a parent deadline any activity deadline fits.
        assert!(ensure_activity_within(Placement { goal_id: g1, deadline: d("2030-01-01") }, Placement { goal_id: g1, deadline: None }).is_ok());
        assert!(ensure_parent_covers(d("2021-01-01"), d("2021-01-02")).is_err());
        assert!(ensure_parent_covers(d("2021-01-02"), d("2021-01-02")).is_ok());
        assert!(ensure_parent_covers(None, d("2021-01-02")).is_ok());
        let valid_to = NaiveDate::from_ymd_opt(2022, 12, 31).unwrap_or_default();
        assert!(ensure_within_validity(d("2022-12-31"), valid_to).is_ok());
        assert!(ensure_within_validity(None, valid_to).is_ok());
        assert!(ensure_validity_covers(valid_to, d("2022-12-31")).is_ok());
        assert!(ensure_validity_covers(valid_to, None).is_ok());
        assert_eq!(codes(ensure_validity_covers(valid_to, d("2023-01-01")).map(|()| measure())), vec![("valid_to".into(), "before_measure_deadline".into())]);
        assert_eq!(codes(ensure_within_validity(d("2023-01-01"), valid_to).map(|()| measure())), vec![("deadline".into(), "after_plan_validity".into())]);
    }

    #[test]
    fn lifecycle_steps_are_checked_in_order() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let today = d("2020-06-01");
        let plan = |status| Steps {
            status,
            submitted_on: Some(d("2019-02-01")),
            council_approved_on: Some(d("2019-03-01")),
            assembly_approved_on: None,
            valid_to: d("2022-12-31"),
            predecessor_approved_on: Some(d("2019-03-10")),
        };
        let approval = |day: &str| Approval { date: d(day), resolution_number: "ZM/1/2019".into() };
        let code = |r: Result<PlanStatus, DomainError>| match r {
            Ok(s) => s.code().to_owned(),
            Err(DomainError::Conflict(_)) => "409".to_owned(),
            Err(DomainError::Invalid(e)) => e[0].code.clone(),
        };
        let (early, late, future, fine) = (approval("2019-02-15"), approval("2023-01-01"), approval("2020-06-02"), approval("2019-03-15"));
        let before_predecessor = approval("2019-03-05");
        // (status, action, day, approval, expected status or error code)
        type Case<'a> = (PlanStatus, PlanAction, Option<NaiveDate>, Option<&'a Approval>, &'a str);
        let cases: Vec<Case> = vec![
            (PlanStatus::Draft, PlanAction::Submit, Some(d("2019-02-01")), None, "submitted"),
            (PlanStatus::Draft, PlanAction::ApproveByCouncil, None, None, "409"),
            (PlanStatus::Draft, PlanAction::Submit, Some(d("2020-06-02")), None, "in_future"),
            (PlanStatus::Submitted, PlanAction::ApproveByCouncil, Some(d("2019-01-15")), Some(&early), "before_previous_step"),
            (PlanStatus::CouncilApproved, PlanAction::ApproveByAssembly, Some(d("2019-03-15")), Some(&fine), "in_force"),
            (PlanStatus::CouncilApproved, PlanAction::ApproveByAssembly, Some(d("2019-02-15")), Some(&early), "before_previous_step"),
            (PlanStatus::CouncilApproved, PlanAction::ApproveByAssembly, Some(d("2019-03-05")), Some(&before_predecessor), "before_predecessor"),
            (PlanStatus::CouncilApproved, PlanAction::ApproveByAssembly, Some(d("2020-06-02")), Some(&future), "in_future"),
            (PlanStatus::CouncilApproved, PlanAction::ApproveByAssembly, Some(d("2023-01-01")), Some(&late), "in_future"),
            (PlanStatus::InForce, PlanAction::Expire, Some(d("2020-01-01")), None, "expired"),
            (PlanStatus::InForce, PlanAction::Withdraw, None, None, "409"),
        ];
        for (status, action, day, approval, expected) in cases {
            let got = code(check_step(&plan(status), &Step { action, day, approval }, today));
            assert_eq!(got, expected, "{status:?} {action:?} on {day:?}");
        }
        // An approval after the validity, on a day that has come, is `after_validity`.
        let ended = Steps { valid_to: d("2019-12-31"), ..plan(PlanStatus::CouncilApproved) };
        let after = approval("2020-01-02");
        assert_eq!(
            code(check_step(&ended, &Step { action: PlanAction::ApproveByAssembly, day: Some(d("2020-01-02")), approval: Some(&after) }, today)),
            "after_validity"
        );
    }

    #[test]
    fn progress_is_reported_on_the_plan_in_force_about_days_that_came() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let validity = |status| Validity { status, approved_on: Some(d("2019-03-15")), valid_from: d("2019-01-01"), valid_to: d("2022-12-31"), ended_on: None };
        let today = d("2020-06-01");
        assert!(check_progress_report(PlanStatus::InForce, &validity(PlanStatus::InForce), today, today).is_ok());
        assert!(matches!(check_progress_report(PlanStatus::Draft, &validity(PlanStatus::Draft), today, today), Err(DomainError::Conflict(_))));
        assert!(matches!(check_progress_report(PlanStatus::InForce, &validity(PlanStatus::InForce), today, d("2023-01-01")), Err(DomainError::Conflict(_))));
        assert_eq!(
            check_progress_report(PlanStatus::InForce, &validity(PlanStatus::InForce), d("2020-06-02"), today),
            Err(DomainError::invalid("reported_on", "in_future", "progress is reported on a past day or today"))
        );
        assert_eq!(reported_percent(crate::codelist::ProgressStatus::Completed, 40), 100);
        assert_eq!(reported_percent(crate::codelist::ProgressStatus::InProgress, 40), 40);
        assert!(ensure_evaluable(PlanStatus::Expired).is_ok());
        assert!(matches!(ensure_evaluable(PlanStatus::Draft), Err(DomainError::Conflict(_))));
        assert!(check_evaluation_day(today, today).is_ok());
        assert!(matches!(check_evaluation_day(d("2020-06-02"), today), Err(DomainError::Invalid(_))));
    }

    #[test]
    fn goals_nest_within_their_plan_without_cycles() {
        let (a, b, c, x) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3), Uuid::from_u128(9));
        // a ← b ← c (c beneath b beneath a)
        let goals = [(a, None), (b, Some(a)), (c, Some(b))];
        let code = |r: Result<(), DomainError>| match r {
            Ok(()) => "ok".to_owned(),
            Err(DomainError::Invalid(e)) => e[0].code.clone(),
            Err(other) => format!("{other:?}"),
        };
        // (this goal, its new parent, expected)
        let cases = [
            (None, None, "ok"),
            (None, Some(c), "ok"),
            (None, Some(x), "not_in_plan"),
            (Some(a), Some(c), "cycle"),
            (Some(b), Some(b), "cycle"),
            (Some(c), Some(a), "ok"),
        ];
        for (this, parent, expected) in cases {
            assert_eq!(code(check_goal_parent(this, parent, &goals)), expected, "{this:?} under {parent:?}");
        }
    }

    #[test]
    fn a_measure_is_checked_against_its_plan_hierarchy_and_implementer() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let (goal, other_goal) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let base = MeasureData { goal_id: goal, deadline: Some(d("2021-06-30")), ..measure() };
        let facts = |previous| MeasureFacts {
            previous,
            plan_valid_to: d("2022-12-31"),
            goal_in_plan: true,
            parent: None,
            activity_deadlines: vec![],
            responsible: None,
        };
        let code = |r: Result<(), DomainError>| match r {
            Ok(()) => "ok".to_owned(),
            Err(DomainError::Invalid(e)) => e.iter().map(|e| format!("{}:{}", e.field, e.code)).collect::<Vec<_>>().join(","),
            Err(other) => format!("{other:?}"),
        };
        let today = d("2020-01-01");
        assert_eq!(code(check_measure(&base, &facts(None), today)), "ok");
        assert_eq!(code(check_measure(&base, &MeasureFacts { goal_in_plan: false, ..facts(None) }, today)), "goal_id:not_in_plan");
        let late = MeasureData { deadline: Some(d("2023-01-01")), ..base.clone() };
        assert_eq!(code(check_measure(&late, &facts(None), today)), "deadline:after_plan_validity");
        // An unchanged deadline after the validity is kept (older data stays editable).
        assert_eq!(code(check_measure(&late, &facts(Some(&late)), today)), "ok");
        // Activities: under a measure of this plan, within its goal and deadline.
        let activity = MeasureData { kind: MeasureKind::Activity, parent_measure_id: Some(Uuid::from_u128(7)), ..base.clone() };
        assert_eq!(code(check_measure(&activity, &facts(None), today)), "parent_measure_id:not_in_plan");
        let parent = Placement { goal_id: other_goal, deadline: Some(d("2021-01-01")) };
        assert_eq!(
            code(check_measure(&activity, &MeasureFacts { parent: Some(parent), ..facts(None) }, today)),
            "goal_id:parent_in_other_goal,deadline:after_parent_deadline"
        );
        // A measure with activities: stays a measure, covers them, keeps its goal.
        let with = |deadlines: Vec<Option<NaiveDate>>| MeasureFacts { activity_deadlines: deadlines, ..facts(Some(&base)) };
        assert_eq!(code(check_measure(&MeasureData { kind: MeasureKind::Activity, ..base.clone() }, &with(vec![None]), today)), "kind:has_activities");
        assert_eq!(code(check_measure(&base, &with(vec![Some(d("2021-07-01"))]), today)), "deadline:before_activity_deadline");
        assert_eq!(code(check_measure(&MeasureData { goal_id: other_goal, ..base.clone() }, &with(vec![None]), today)), "goal_id:has_activities_in_other_goal");
        // The implementer is a member today.
        let outsider = crate::registry::Standing::default();
        assert_eq!(code(check_measure(&base, &MeasureFacts { responsible: Some(outsider), ..facts(None) }, today)), "responsible_organization_id:not_a_member");
    }
}

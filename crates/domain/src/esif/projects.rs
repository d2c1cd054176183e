//! The project pipeline: a project's content and budget, its steps (recommend, submit,
//! approve, reject, start, complete, withdraw) and the rules of submission.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::codelist::{Coded, ProjectStatus};
use crate::error::Violations;
use crate::money::{self, Money};
use crate::period::ensure_ordered;
use crate::{DomainError, FieldError};

use super::*;

/// A project's budget: the eligible total, the requested grant (EU and state share) and the
/// applicant's own co-financing. They must add up exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectBudget {
    pub total_eligible: Money,
    pub requested: Money,
    pub own_financing: Money,
}

impl ProjectBudget {
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut v = Violations::new();
        v.check(self.total_eligible.validate("budget.total_eligible"));
        v.check(self.requested.validate("budget.requested"));
        v.check(self.own_financing.validate("budget.own_financing"));
        if self.requested.currency != self.total_eligible.currency || self.own_financing.currency != self.total_eligible.currency {
            v.push(FieldError::new("budget", "mixed_currencies", "all amounts of a budget use one currency"));
        } else if self.requested.amount_minor.checked_add(self.own_financing.amount_minor) != Some(self.total_eligible.amount_minor) {
            v.push(FieldError::new(
                "budget",
                "does_not_add_up",
                format!(
                    "requested ({}) plus own financing ({}) must equal the total eligible costs ({})",
                    money::format(&self.requested),
                    money::format(&self.own_financing),
                    money::format(&self.total_eligible)
                ),
            ));
        }
        v.into_result()
    }
}

/// What the submission check needs to know about the partnership's strategic plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanContext {
    /// The partnership's plan in force on the submission day, if any.
    pub plan_in_force: Option<Uuid>,
    /// How many of the project's measures belong to that plan.
    pub measures_in_plan: usize,
}

/// Checks a submission against the call. Amounts outside the call's terms are 422; a call
/// that is not open on the day, or a KPSVL call without a plan in force, are 409 (the state of
/// the world, not the request, is wrong).
pub fn check_submission(
    call: &CallTerms,
    budget: &ProjectBudget,
    partnership_id: Uuid,
    submitted_on: NaiveDate,
    plan: &PlanContext,
) -> Result<(), DomainError> {
    let (opens, closes) = (call.opens_at.date_naive(), call.closes_at.date_naive());
    if submitted_on < opens {
        return Err(DomainError::Conflict(format!("the call opens on {opens}; it does not accept applications on {submitted_on}")));
    }
    if submitted_on > closes {
        return Err(DomainError::Conflict(format!("the call closed on {closes}; it does not accept applications on {submitted_on}")));
    }
    // The call may have been narrowed after the intent named it.
    if !call_open_to(call.kpsvl, &call.open_to, partnership_id) {
        return Err(DomainError::Conflict("this coordinated-approach (KPSVL) call is not open to the project's partnership".into()));
    }
    if call.kpsvl && plan.plan_in_force.is_none() {
        return Err(DomainError::Conflict(format!(
            "a coordinated-approach (KPSVL) call requires the partnership's strategic plan to be in force on the day of submission; no plan was in force on {submitted_on}"
        )));
    }
    let mut v = Violations::new();
    if call.kpsvl && plan.measures_in_plan == 0 {
        v.push(FieldError::new(
            "measure_ids",
            "no_measure_of_plan",
            "under the coordinated approach the project must implement at least one measure of the plan in force",
        ));
    }
    let requested = budget.requested.amount_minor;
    if let Some(min) = &call.min_project
        && (requested < min.amount_minor || budget.requested.currency != min.currency)
    {
        v.push(FieldError::new("budget.requested", "below_minimum", format!("the call funds projects from {}", money::format(min))));
    }
    if let Some(max) = &call.max_project
        && (requested > max.amount_minor || budget.requested.currency != max.currency)
    {
        v.push(FieldError::new("budget.requested", "above_maximum", format!("the call funds projects up to {}", money::format(max))));
    }
    // requested / total ≤ rate, in integers: requested · 10 000 ≤ rate · total.
    if i128::from(requested) * 10_000 > i128::from(call.support_rate_bp) * i128::from(budget.total_eligible.amount_minor) {
        v.push(FieldError::new(
            "budget.requested",
            "above_support_rate",
            format!("the call covers at most {}.{:02} % of eligible costs", call.support_rate_bp / 100, call.support_rate_bp % 100),
        ));
    }
    v.into_result()
}

/// An explicit action in a project's pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectAction {
    Recommend,
    Submit,
    Approve,
    Reject,
    Start,
    Complete,
    Withdraw,
}

impl ProjectAction {
    pub fn name(self) -> &'static str {
        match self {
            Self::Recommend => "recommend",
            Self::Submit => "submit",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Start => "start",
            Self::Complete => "complete",
            Self::Withdraw => "withdraw",
        }
    }
}

/// The status after `action`, or 409.
pub fn project_transition(from: ProjectStatus, action: ProjectAction) -> Result<ProjectStatus, DomainError> {
    use ProjectAction as A;
    use ProjectStatus as S;
    match (from, action) {
        (S::Intent, A::Recommend) => Ok(S::Recommended),
        (S::Recommended, A::Submit) => Ok(S::Submitted),
        (S::Submitted, A::Approve) => Ok(S::Approved),
        (S::Submitted, A::Reject) => Ok(S::Rejected),
        (S::Approved, A::Start) => Ok(S::InRealization),
        (S::InRealization, A::Complete) => Ok(S::Completed),
        (S::Intent | S::Recommended | S::Submitted | S::Approved | S::InRealization, A::Withdraw) => Ok(S::Withdrawn),
        (from, action) => Err(DomainError::Conflict(format!("a project in status `{}` cannot `{}`", from.code(), action.name()))),
    }
}

/// A project's content can change until it is submitted.
pub fn ensure_project_editable(status: ProjectStatus) -> Result<(), DomainError> {
    if matches!(status, ProjectStatus::Intent | ProjectStatus::Recommended) {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!("a project in status `{}` can no longer be edited", status.code())))
    }
}

/// The steps a project went through: the day of each and what it recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectSteps {
    pub recommended_on: Option<NaiveDate>,
    pub recommendation_resolution: Option<String>,
    pub recommended_by_working_group_id: Option<Uuid>,
    pub submitted_on: Option<NaiveDate>,
    pub registration_number: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub approved_minor: Option<i64>,
    pub decision_note: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawal_reason: Option<String>,
}

impl ProjectSteps {
    /// The day of the latest step that orders the pipeline (recommendation, submission,
    /// decision, start).
    pub fn last_day(&self) -> Option<NaiveDate> {
        [self.recommended_on, self.submitted_on, self.decided_on, self.started_on].into_iter().flatten().max()
    }
}

/// A step of a project's pipeline as requested: the action, its day, and what the action
/// records (texts already trimmed, blanks as `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectStep {
    pub action: ProjectAction,
    pub date: NaiveDate,
    /// recommend: the resolution of the partnership or working group.
    pub resolution: Option<String>,
    /// recommend: the working group that recommended it.
    pub working_group_id: Option<Uuid>,
    /// submit: the application's registration number.
    pub registration_number: Option<String>,
    /// approve: the approved grant.
    pub approved_amount: Option<Money>,
    /// approve, reject, withdraw: a note or the reason.
    pub note: Option<String>,
}

/// What a submission is judged on, known when the project names a call.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionFacts {
    pub call_archived: bool,
    pub terms: CallTerms,
    /// The applicant's memberships of the partnership.
    pub applicant: crate::registry::Standing,
    /// The partnership's plan on the day of submission.
    pub plan: PlanContext,
}

/// The facts about a project that a step of its pipeline is judged on.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectFacts<'a> {
    pub status: ProjectStatus,
    pub steps: &'a ProjectSteps,
    pub partnership_id: Uuid,
    pub budget: &'a ProjectBudget,
    /// For a submission of a project that names a call: that call's facts.
    pub submission: Option<SubmissionFacts>,
}

/// Judges a step of a project's pipeline: the status it leads to (409 when the status does
/// not allow it), then the day (not in the future, not before the previous step), then what
/// the action needs: a submission names a call that is not archived (409), its applicant is a
/// member of the partnership on the day, it has a registration number of its period's shape,
/// and [`check_submission`] passes; an approval states a grant between 0 and the requested
/// amount, in its currency. Answers the new status and the steps as they become.
pub fn check_step(project: &ProjectFacts<'_>, step: &ProjectStep, today: NaiveDate) -> Result<(ProjectStatus, ProjectSteps), DomainError> {
    let next = project_transition(project.status, step.action)?;
    if step.date > today {
        return Err(DomainError::invalid("date", "in_future", "a step is recorded on a past day or today"));
    }
    if let Some(last) = project.steps.last_day().filter(|l| step.date < *l) {
        return Err(DomainError::invalid("date", "before_previous_step", format!("the previous step was on {last}")));
    }
    let mut steps = project.steps.clone();
    match step.action {
        ProjectAction::Recommend => {
            steps.recommended_on = Some(step.date);
            steps.recommendation_resolution = step.resolution.clone();
            steps.recommended_by_working_group_id = step.working_group_id;
        }
        ProjectAction::Submit => {
            let number = check_submission_step(project, step)?;
            steps.submitted_on = Some(step.date);
            steps.registration_number = Some(number);
        }
        ProjectAction::Approve => {
            steps.approved_minor = Some(check_approved_amount(step.approved_amount.as_ref(), &project.budget.requested)?);
            steps.decided_on = Some(step.date);
            steps.decision_note = step.note.clone();
        }
        ProjectAction::Reject => {
            steps.decided_on = Some(step.date);
            steps.decision_note = step.note.clone();
        }
        ProjectAction::Start => steps.started_on = Some(step.date),
        ProjectAction::Complete => steps.completed_on = Some(step.date),
        ProjectAction::Withdraw => {
            steps.withdrawn_on = Some(step.date);
            steps.withdrawal_reason = step.note.clone();
        }
    }
    Ok((next, steps))
}

/// The submission's own rules; answers its registration number.
fn check_submission_step(project: &ProjectFacts<'_>, step: &ProjectStep) -> Result<String, DomainError> {
    let Some(facts) = &project.submission else {
        return Err(DomainError::invalid("call_id", "required", "choose the call before submitting"));
    };
    if facts.call_archived {
        return Err(DomainError::Conflict("the call is archived".into()));
    }
    if !facts.applicant.is_member_on(step.date) {
        return Err(DomainError::invalid(
            "applicant_organization_id",
            "not_a_member",
            "the applicant is not a member of the partnership on the day of submission",
        ));
    }
    let number = step
        .registration_number
        .clone()
        .ok_or_else(|| DomainError::invalid("registration_number", "required", "a submitted application has a registration number"))?;
    check_registration_number(facts.terms.period, &number).map_err(|e| DomainError::Invalid(vec![e]))?;
    check_submission(&facts.terms, project.budget, project.partnership_id, step.date, &facts.plan)?;
    Ok(number)
}

/// An approval states the approved grant: between 0 and the requested amount, in its
/// currency. Answers it in minor units.
pub fn check_approved_amount(approved: Option<&Money>, requested: &Money) -> Result<i64, DomainError> {
    let amount = approved.ok_or_else(|| DomainError::invalid("approved_amount", "required", "an approval states the approved grant"))?;
    if amount.currency != requested.currency || amount.amount_minor < 0 || amount.amount_minor > requested.amount_minor {
        return Err(DomainError::invalid("approved_amount", "above_requested", "the approved grant is between 0 and the requested amount, in its currency"));
    }
    Ok(amount.amount_minor)
}

/// Whether a project counts as submitted, approved (for the aggregates).
pub fn was_submitted(status: ProjectStatus) -> bool {
    matches!(status, ProjectStatus::Submitted | ProjectStatus::Approved | ProjectStatus::Rejected | ProjectStatus::InRealization | ProjectStatus::Completed)
}

pub fn was_approved(status: ProjectStatus) -> bool {
    matches!(status, ProjectStatus::Approved | ProjectStatus::InRealization | ProjectStatus::Completed)
}

/// Checks a project's period.
pub fn check_period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(), FieldError> {
    ensure_ordered(from, to, "period_to", "period_from")
}

/// A project in the pipeline: what the applicant sets.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectData {
    pub external_ref: Option<String>,
    pub partnership_id: Uuid,
    pub applicant_organization_id: Uuid,
    pub call_id: Option<Uuid>,
    pub title: String,
    pub summary: Option<String>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub budget: ProjectBudget,
    /// Measures of the partnership's strategic plan the project implements.
    pub measure_ids: Vec<Uuid>,
}

impl ProjectData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if self.title.trim().is_empty() {
            v.push(FieldError::new("title", "blank", "title must not be blank"));
        }
        v.check(check_period(self.period_from, self.period_to));
        if let Err(DomainError::Invalid(errors)) = self.budget.validate() {
            v.extend(errors);
        }
        let mut seen = std::collections::HashSet::new();
        for (i, m) in self.measure_ids.iter().enumerate() {
            if !seen.insert(m) {
                v.push(FieldError::new(format!("measure_ids[{i}]"), "duplicate", "a measure is listed twice"));
            }
        }
        v.into_result().map(|()| self)
    }
}

/// A project implements each measure once: two of its measures sharing a `measure_key` are
/// versions of one measure (a revision's copy), and linking both would count it twice.
pub fn check_distinct_measures(measure_keys: &[Uuid]) -> Result<(), FieldError> {
    let mut seen = std::collections::HashSet::new();
    if measure_keys.iter().all(|k| seen.insert(*k)) {
        Ok(())
    } else {
        Err(FieldError::new("measure_ids", "same_measure_twice", "two of the measures are versions of one measure; link only one of them"))
    }
}

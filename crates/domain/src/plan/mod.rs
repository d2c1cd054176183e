//! Strategic plans: the lifecycle of approval, and the content of goals, measures and their
//! indicators. A plan can be edited only while it is a draft; a plan in force changes only
//! through a revision (a new draft version that supersedes it once in force).
//!
//! This module holds the lifecycle (steps, validity, monitoring and evaluation); the content
//! is in [`content`], the rules a measure's place in its plan obeys in [`hierarchy`].

use chrono::NaiveDate;

use crate::codelist::{Coded, PlanStatus};
use crate::error::Violations;
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

mod content;
mod hierarchy;

pub use content::*;
pub use hierarchy::*;

#[cfg(test)]
mod tests;

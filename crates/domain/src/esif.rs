//! EU funds: calls for proposals and the project pipeline, with the rules of submission
//! (the call is open, the amounts fit the call, and under the coordinated approach (KPSVL)
//! the partnership has a plan in force that the project implements).

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use regex::Regex;
use uuid::Uuid;

use crate::codelist::{CallStatus, Coded, ProgrammingPeriod, ProjectStatus};
use crate::error::Violations;
use crate::money::{self, Money};
use crate::period::ensure_ordered;
use crate::{DomainError, FieldError};

static REG_2021: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^CZ\.\d{2}\.\d{2}\.\d{2}/\d{2}/\d{2}_\d{3}/\d{7}$").ok());
static REG_2014: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^CZ\.\d{2}\.\d{1,2}\.\d{1,3}/\d\.\d/\d\.\d/\d{2}_\d{3}/\d{7}$").ok());
static REG_2007: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^CZ\.\d\.\d{2}/\d\.\d\.\d{2}/\d{2}\.\d{4,5}$").ok());

/// Checks a project registration number against the shape its programming period uses:
/// 2021–2027 `CZ.03.02.02/00/22_004/0000366`, 2014–2020 `CZ.03.4.74/0.0/0.0/15_025/0004172`,
/// 2007–2013 `CZ.1.04/4.1.01/53.00168`.
pub fn check_registration_number(period: ProgrammingPeriod, number: &str) -> Result<(), FieldError> {
    let (pattern, example) = match period {
        ProgrammingPeriod::Period2021To2027 => (&REG_2021, "CZ.03.02.02/00/22_004/0000366"),
        ProgrammingPeriod::Period2014To2020 => (&REG_2014, "CZ.03.4.74/0.0/0.0/15_025/0004172"),
        ProgrammingPeriod::Period2007To2013 => (&REG_2007, "CZ.1.04/4.1.01/53.00168"),
    };
    if pattern.as_ref().is_some_and(|re| re.is_match(number)) {
        Ok(())
    } else {
        Err(FieldError::new("registration_number", "format", format!("a {} registration number looks like {example}", period.code())))
    }
}

/// The terms of a call that a submission is checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct CallTerms {
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub min_project: Option<Money>,
    pub max_project: Option<Money>,
    /// The highest share of eligible costs the grant may cover, in basis points (8500 = 85 %).
    pub support_rate_bp: i32,
    pub kpsvl: bool,
    /// For a KPSVL call: the partnerships it is open to.
    pub open_to: Vec<Uuid>,
    pub period: ProgrammingPeriod,
}

/// Whether a project of this partnership may apply to a call: a coordinated-approach (KPSVL)
/// call only when it is open to the partnership, any other call always.
pub fn call_open_to(kpsvl: bool, open_to: &[Uuid], partnership_id: Uuid) -> bool {
    !kpsvl || open_to.contains(&partnership_id)
}

/// A project names only a call open to its partnership, from its first draft on (422 on
/// `call_id`), so that the refusal does not wait for the submission.
pub fn check_call_open_to(kpsvl: bool, open_to: &[Uuid], partnership_id: Uuid) -> Result<(), FieldError> {
    if call_open_to(kpsvl, open_to, partnership_id) {
        Ok(())
    } else {
        Err(FieldError::new("call_id", "call_not_open_to_partnership", "this coordinated-approach (KPSVL) call is not open to the project's partnership"))
    }
}

/// The state of a call at a moment.
pub fn call_status(opens_at: DateTime<Utc>, closes_at: DateTime<Utc>, at: DateTime<Utc>) -> CallStatus {
    if at < opens_at {
        CallStatus::Announced
    } else if at <= closes_at {
        CallStatus::Open
    } else {
        CallStatus::Closed
    }
}

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

#[cfg(test)]
// Amounts are written as koruny_haléře (`1_000_000_00` is 1 000 000,00 Kč).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::codelist::ProgrammingPeriod as P;

    #[test]
    fn registration_numbers_by_period() {
        assert!(check_registration_number(P::Period2021To2027, "CZ.03.02.02/00/22_004/0000366").is_ok());
        assert!(check_registration_number(P::Period2014To2020, "CZ.03.4.74/0.0/0.0/15_025/0004172").is_ok());
        assert!(check_registration_number(P::Period2007To2013, "CZ.1.04/4.1.01/53.00168").is_ok());
        assert!(check_registration_number(P::Period2007To2013, "CZ.1.07/1.1.00/14.0143").is_ok());
        assert!(check_registration_number(P::Period2021To2027, "CZ.03.4.74/0.0/0.0/15_025/0004172").is_err());
        assert!(check_registration_number(P::Period2021To2027, "CZ.03.02.02/00/22_004/000036").is_err());
        assert!(check_registration_number(P::Period2014To2020, "cz.03.4.74/0.0/0.0/15_025/0004172").is_err());
    }

    fn call() -> CallTerms {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_default();
        CallTerms {
            opens_at: t("2019-05-01T00:00:00Z"),
            closes_at: t("2019-09-30T14:00:00Z"),
            min_project: Some(Money::czk(100_000_00)),
            max_project: Some(Money::czk(10_000_000_00)),
            support_rate_bp: 9500,
            kpsvl: true,
            open_to: vec![Uuid::from_u128(1)],
            period: P::Period2014To2020,
        }
    }

    fn budget(total: i64, requested: i64) -> ProjectBudget {
        ProjectBudget { total_eligible: Money::czk(total), requested: Money::czk(requested), own_financing: Money::czk(total - requested) }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn submission_rules() {
        let plan = PlanContext { plan_in_force: Some(Uuid::from_u128(9)), measures_in_plan: 1 };
        let p = Uuid::from_u128(1);
        assert!(check_submission(&call(), &budget(1_000_000_00, 950_000_00), p, d("2019-06-01"), &plan).is_ok());
        // Exactly at the rate is fine; one haléř over is not.
        assert!(
            matches!(check_submission(&call(), &budget(1_000_000_00, 950_000_01), p, d("2019-06-01"), &plan), Err(DomainError::Invalid(e)) if e[0].code == "above_support_rate")
        );
        assert!(matches!(check_submission(&call(), &budget(1_000_000_00, 950_000_00), p, d("2019-10-01"), &plan), Err(DomainError::Conflict(_))));
        assert!(matches!(check_submission(&call(), &budget(1_000_000_00, 950_000_00), p, d("2019-04-30"), &plan), Err(DomainError::Conflict(_))));
        assert!(check_submission(&call(), &budget(1_000_000_00, 950_000_00), p, d("2019-09-30"), &plan).is_ok(), "the closing day counts");
        let no_plan = PlanContext { plan_in_force: None, measures_in_plan: 0 };
        assert!(matches!(check_submission(&call(), &budget(1_000_000_00, 950_000_00), p, d("2019-06-01"), &no_plan), Err(DomainError::Conflict(_))));
        let no_measure = PlanContext { measures_in_plan: 0, ..plan.clone() };
        assert!(
            matches!(check_submission(&call(), &budget(1_000_000_00, 950_000_00), p, d("2019-06-01"), &no_measure), Err(DomainError::Invalid(e)) if e[0].field == "measure_ids")
        );
        assert!(matches!(
            check_submission(&call(), &budget(1_000_000_00, 950_000_00), Uuid::from_u128(2), d("2019-06-01"), &plan),
            Err(DomainError::Conflict(_))
        ));
        assert!(
            matches!(check_submission(&call(), &budget(60_000_00, 50_000_00), p, d("2019-06-01"), &plan), Err(DomainError::Invalid(e)) if e[0].code == "below_minimum")
        );
        let open_call = CallTerms { kpsvl: false, ..call() };
        assert!(check_submission(&open_call, &budget(1_000_000_00, 950_000_00), Uuid::from_u128(2), d("2019-06-01"), &no_plan).is_ok());
    }

    #[test]
    fn messages_write_amounts_as_money_and_name_the_submission_day() {
        let plan = PlanContext { plan_in_force: Some(Uuid::from_u128(9)), measures_in_plan: 1 };
        let p = Uuid::from_u128(1);
        let messages = |r: Result<(), DomainError>| match r {
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| e.message).collect::<Vec<_>>(),
            Err(DomainError::Conflict(m)) => vec![m],
            Ok(()) => vec![],
        };
        assert_eq!(
            messages(check_submission(&call(), &budget(60_000_00, 50_000_00), p, d("2019-06-01"), &plan)),
            ["the call funds projects from 100 000,00 Kč"]
        );
        assert_eq!(
            messages(check_submission(&call(), &budget(20_000_000_00, 19_000_000_00), p, d("2019-06-01"), &plan)),
            ["the call funds projects up to 10 000 000,00 Kč"]
        );
        let no_plan = PlanContext { plan_in_force: None, measures_in_plan: 0 };
        let refused = messages(check_submission(&call(), &budget(1_000_000_00, 950_000_00), p, d("2019-06-01"), &no_plan));
        assert!(refused[0].contains("no plan was in force on 2019-06-01"), "{refused:?}");
        let unbalanced = ProjectBudget { total_eligible: Money::czk(2_000_000_00), requested: Money::czk(1_900_000_00), own_financing: Money::czk(10_00) };
        assert_eq!(
            messages(unbalanced.validate()),
            ["requested (1 900 000,00 Kč) plus own financing (10,00 Kč) must equal the total eligible costs (2 000 000,00 Kč)"]
        );
    }

    #[test]
    fn a_kpsvl_call_is_open_only_to_the_partnerships_it_names() {
        let (named, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(check_call_open_to(true, &[named], named).is_ok());
        assert!(check_call_open_to(true, &[named], other).is_err_and(|e| e.field == "call_id" && e.code == "call_not_open_to_partnership"));
        assert!(check_call_open_to(true, &[], other).is_err());
        assert!(check_call_open_to(false, &[], other).is_ok(), "a call without the coordinated approach is open to everyone");
    }

    #[test]
    fn budgets_add_up_exactly() {
        assert!(budget(100, 85).validate().is_ok());
        let wrong = ProjectBudget { own_financing: Money::czk(14), ..budget(100, 85) };
        assert!(matches!(wrong.validate(), Err(DomainError::Invalid(e)) if e[0].code == "does_not_add_up"));
    }

    #[test]
    fn pipeline() {
        use ProjectAction as A;
        use ProjectStatus as S;
        let path = [
            (S::Intent, A::Recommend, S::Recommended),
            (S::Recommended, A::Submit, S::Submitted),
            (S::Submitted, A::Approve, S::Approved),
            (S::Approved, A::Start, S::InRealization),
            (S::InRealization, A::Complete, S::Completed),
        ];
        for (from, action, to) in path {
            assert_eq!(project_transition(from, action), Ok(to));
        }
        assert!(project_transition(S::Intent, A::Submit).is_err());
        assert!(project_transition(S::Completed, A::Withdraw).is_err());
        assert!(project_transition(S::Rejected, A::Withdraw).is_err());
        assert_eq!(project_transition(S::Approved, A::Withdraw), Ok(S::Withdrawn));
        assert!(ensure_project_editable(S::Submitted).is_err());
    }

    fn standing(joined_on: &str, left_on: Option<&str>, organization_archived: bool) -> crate::registry::Standing {
        let membership = crate::registry::MembershipData {
            partnership_id: Uuid::from_u128(1),
            organization_id: Uuid::from_u128(10),
            joined_on: d(joined_on),
            left_on: left_on.map(d),
            representatives: vec![],
            note: None,
        };
        crate::registry::Standing { organization_archived, memberships: vec![membership] }
    }

    fn submission() -> SubmissionFacts {
        SubmissionFacts {
            call_archived: false,
            terms: call(),
            applicant: standing("2018-01-01", None, false),
            plan: PlanContext { plan_in_force: Some(Uuid::from_u128(9)), measures_in_plan: 1 },
        }
    }

    fn step_of(action: ProjectAction, date: &str) -> ProjectStep {
        ProjectStep {
            action,
            date: d(date),
            resolution: None,
            working_group_id: None,
            registration_number: Some("CZ.03.2.63/0.0/0.0/15_052/0012345".into()),
            approved_amount: Some(Money::czk(900_000_00)),
            note: None,
        }
    }

    /// What a step answers: the status it leads to, or the error's field and code (`conflict`
    /// for a 409).
    fn judged(r: Result<(ProjectStatus, ProjectSteps), DomainError>) -> Result<ProjectStatus, (String, String)> {
        match r {
            Ok((status, _)) => Ok(status),
            Err(DomainError::Invalid(e)) => Err((e[0].field.clone(), e[0].code.clone())),
            Err(DomainError::Conflict(_)) => Err((String::new(), "conflict".into())),
        }
    }

    /// A row of a step's table: the status, the steps so far, the call's facts, the step, the
    /// answer.
    type Row<'a> = (ProjectStatus, &'a ProjectSteps, Option<SubmissionFacts>, ProjectStep, Result<ProjectStatus, (String, String)>);

    #[test]
    fn the_steps_of_the_pipeline() {
        use ProjectAction as A;
        use ProjectStatus as S;
        let today = d("2019-12-31");
        let none = ProjectSteps::default();
        let recommended = ProjectSteps { recommended_on: Some(d("2019-05-15")), ..Default::default() };
        let submitted = ProjectSteps { submitted_on: Some(d("2019-06-20")), ..recommended.clone() };
        let budget = budget(1_000_000_00, 950_000_00);
        let err = |field: &str, code: &str| Err((field.to_owned(), code.to_owned()));
        let archived = SubmissionFacts { call_archived: true, ..submission() };
        let left = SubmissionFacts { applicant: standing("2018-01-01", Some("2019-06-20"), false), ..submission() };
        let joins_later = SubmissionFacts { applicant: standing("2019-06-21", None, false), ..submission() };
        let org_archived = SubmissionFacts { applicant: standing("2018-01-01", None, true), ..submission() };
        let closed = SubmissionFacts { terms: CallTerms { closes_at: "2019-06-01T00:00:00Z".parse().unwrap_or_default(), ..call() }, ..submission() };
        let no_number = ProjectStep { registration_number: None, ..step_of(A::Submit, "2019-06-20") };
        let bad_number = ProjectStep { registration_number: Some("CZ.1.04/4.1.01/53.00168".into()), ..step_of(A::Submit, "2019-06-20") };
        let no_amount = ProjectStep { approved_amount: None, ..step_of(A::Approve, "2019-07-01") };
        let amount = |m: Money| ProjectStep { approved_amount: Some(m), ..step_of(A::Approve, "2019-07-01") };
        // (status, steps so far, the call's facts, the step, the answer)
        #[rustfmt::skip]
        let table: Vec<Row> = vec![
            (S::Intent, &none, None, step_of(A::Recommend, "2019-05-15"), Ok(S::Recommended)),
            (S::Intent, &none, None, step_of(A::Recommend, "2020-01-01"), err("date", "in_future")),
            (S::Intent, &none, None, step_of(A::Recommend, "2019-12-31"), Ok(S::Recommended)),
            (S::Intent, &none, Some(submission()), step_of(A::Submit, "2019-06-20"), err("", "conflict")),
            // The status is judged before the day.
            (S::Intent, &none, None, step_of(A::Submit, "2020-01-01"), err("", "conflict")),
            (S::Recommended, &recommended, Some(submission()), step_of(A::Submit, "2019-06-20"), Ok(S::Submitted)),
            (S::Recommended, &recommended, Some(submission()), step_of(A::Submit, "2019-05-14"), err("date", "before_previous_step")),
            (S::Recommended, &recommended, Some(submission()), step_of(A::Submit, "2019-05-15"), Ok(S::Submitted)),
            (S::Recommended, &recommended, None, step_of(A::Submit, "2019-06-20"), err("call_id", "required")),
            (S::Recommended, &recommended, Some(archived), step_of(A::Submit, "2019-06-20"), err("", "conflict")),
            // A member leaves on `left_on` and is no member that day.
            (S::Recommended, &recommended, Some(left), step_of(A::Submit, "2019-06-20"), err("applicant_organization_id", "not_a_member")),
            (S::Recommended, &recommended, Some(joins_later), step_of(A::Submit, "2019-06-20"), err("applicant_organization_id", "not_a_member")),
            (S::Recommended, &recommended, Some(org_archived), step_of(A::Submit, "2019-06-20"), err("applicant_organization_id", "not_a_member")),
            (S::Recommended, &recommended, Some(submission()), no_number, err("registration_number", "required")),
            (S::Recommended, &recommended, Some(submission()), bad_number, err("registration_number", "format")),
            (S::Recommended, &recommended, Some(closed), step_of(A::Submit, "2019-06-20"), err("", "conflict")),
            (S::Submitted, &submitted, None, step_of(A::Approve, "2019-07-01"), Ok(S::Approved)),
            (S::Submitted, &submitted, None, no_amount, err("approved_amount", "required")),
            (S::Submitted, &submitted, None, amount(Money::czk(950_000_00)), Ok(S::Approved)),
            (S::Submitted, &submitted, None, amount(Money::czk(950_000_01)), err("approved_amount", "above_requested")),
            (S::Submitted, &submitted, None, amount(Money::czk(-1)), err("approved_amount", "above_requested")),
            (S::Submitted, &submitted, None, amount(Money { amount_minor: 100, currency: "EUR".into() }), err("approved_amount", "above_requested")),
            (S::Submitted, &submitted, None, step_of(A::Reject, "2019-07-01"), Ok(S::Rejected)),
            (S::Submitted, &submitted, None, step_of(A::Withdraw, "2019-06-19"), err("date", "before_previous_step")),
            (S::Submitted, &submitted, None, step_of(A::Withdraw, "2019-06-20"), Ok(S::Withdrawn)),
            (S::Rejected, &submitted, None, step_of(A::Withdraw, "2019-07-01"), err("", "conflict")),
        ];
        for (i, (status, steps, submission, step, expected)) in table.into_iter().enumerate() {
            let facts = ProjectFacts { status, steps, partnership_id: Uuid::from_u128(1), budget: &budget, submission };
            assert_eq!(judged(check_step(&facts, &step, today)), expected, "row {i}: {status:?} {:?} on {}", step.action, step.date);
        }
    }

    #[test]
    fn a_step_records_what_its_action_records() {
        use ProjectAction as A;
        let today = d("2019-12-31");
        let budget = budget(1_000_000_00, 950_000_00);
        let before = ProjectSteps { recommended_on: Some(d("2019-05-15")), ..Default::default() };
        let facts = |status, submission| ProjectFacts { status, steps: &before, partnership_id: Uuid::from_u128(1), budget: &budget, submission };
        let submit = step_of(A::Submit, "2019-06-20");
        let (_, after) = check_step(&facts(ProjectStatus::Recommended, Some(submission())), &submit, today).unwrap();
        assert_eq!(after, ProjectSteps { submitted_on: Some(d("2019-06-20")), registration_number: submit.registration_number.clone(), ..before.clone() });
        let approve = ProjectStep { note: Some("OK".into()), ..step_of(A::Approve, "2019-07-01") };
        let (_, after) = check_step(&facts(ProjectStatus::Submitted, None), &approve, today).unwrap();
        assert_eq!((after.decided_on, after.approved_minor, after.decision_note.as_deref()), (Some(d("2019-07-01")), Some(900_000_00), Some("OK")));
        let withdraw = ProjectStep { note: Some("no staff".into()), ..step_of(A::Withdraw, "2019-07-01") };
        let (_, after) = check_step(&facts(ProjectStatus::Intent, None), &withdraw, today).unwrap();
        assert_eq!((after.withdrawn_on, after.withdrawal_reason.as_deref()), (Some(d("2019-07-01")), Some("no staff")));
        assert_eq!(after.recommended_on, before.recommended_on, "earlier steps stay");
    }

    #[test]
    fn counselling_is_not_dated_in_the_future_and_that_is_said_first() {
        let record = |held_on: &str, topic: &str| CounsellingData {
            partnership_id: Uuid::from_u128(1),
            consultant_id: Uuid::from_u128(2),
            organization_ids: vec![],
            held_on: d(held_on),
            duration_minutes: 60,
            topic: topic.into(),
            call_id: None,
            project_id: None,
            notes: None,
        };
        let today = d("2019-06-01");
        let code = |r: Result<CounsellingData, DomainError>| match r {
            Ok(_) => None,
            Err(DomainError::Invalid(e)) => Some((e[0].field.clone(), e[0].code.clone())),
            Err(DomainError::Conflict(m)) => Some((String::new(), m)),
        };
        let some = |f: &str, c: &str| Some((f.to_owned(), c.to_owned()));
        // (held on, topic, the first error)
        let table = [
            ("2019-06-01", "Výzva 052", None),
            ("2019-06-02", "Výzva 052", some("held_on", "in_future")),
            ("2019-06-02", " ", some("held_on", "in_future")),
            ("2019-05-01", " ", some("topic", "blank")),
        ];
        for (held_on, topic, expected) in table {
            assert_eq!(code(record(held_on, topic).validate_on(today)), expected, "{held_on} {topic:?}");
        }
    }

    #[test]
    fn call_status_from_dates() {
        let c = call();
        assert_eq!(call_status(c.opens_at, c.closes_at, c.opens_at - chrono::Duration::seconds(1)), CallStatus::Announced);
        assert_eq!(call_status(c.opens_at, c.closes_at, c.closes_at), CallStatus::Open);
        assert_eq!(call_status(c.opens_at, c.closes_at, c.closes_at + chrono::Duration::seconds(1)), CallStatus::Closed);
    }
}

/// A priority axis or specific objective of a programme.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PriorityAxis {
    /// e.g. `3.1b`, `2.3`.
    pub code: String,
    pub name: String,
}

/// An operational programme.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeData {
    pub code: String,
    pub name_cs: String,
    pub name_en: String,
    pub period: ProgrammingPeriod,
    pub funds: Vec<crate::codelist::Fund>,
    pub priority_axes: Vec<PriorityAxis>,
}

impl ProgrammeData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        for (field, value) in [("code", &self.code), ("name_cs", &self.name_cs), ("name_en", &self.name_en)] {
            if value.trim().is_empty() {
                v.push(FieldError::new(field, "blank", format!("{field} must not be blank")));
            }
        }
        let mut codes = std::collections::HashSet::new();
        for (i, axis) in self.priority_axes.iter().enumerate() {
            if axis.code.trim().is_empty() || !codes.insert(axis.code.as_str()) {
                v.push(FieldError::new(format!("priority_axes[{i}].code"), "duplicate", "axis codes are non-blank and unique"));
            }
        }
        v.into_result().map(|()| self)
    }
}

/// The operational programmes named in the Agency's sources, shipped as reference data.
pub fn reference_programmes() -> Vec<ProgrammeData> {
    use crate::codelist::Fund;
    use ProgrammingPeriod as P;
    let axis = |code: &str, name: &str| PriorityAxis { code: code.into(), name: name.into() };
    vec![
        ProgrammeData {
            code: "OP LZZ".into(),
            name_cs: "Operační program Lidské zdroje a zaměstnanost".into(),
            name_en: "Operational Programme Human Resources and Employment".into(),
            period: P::Period2007To2013,
            funds: vec![Fund::Esf],
            priority_axes: vec![axis("3", "Sociální integrace a rovné příležitosti")],
        },
        ProgrammeData {
            code: "OP VK".into(),
            name_cs: "Operační program Vzdělávání pro konkurenceschopnost".into(),
            name_en: "Operational Programme Education for Competitiveness".into(),
            period: P::Period2007To2013,
            funds: vec![Fund::Esf],
            priority_axes: vec![axis("1.2", "Rovné příležitosti dětí a žáků, včetně dětí a žáků se speciálními vzdělávacími potřebami")],
        },
        ProgrammeData {
            code: "IOP".into(),
            name_cs: "Integrovaný operační program".into(),
            name_en: "Integrated Operational Programme".into(),
            period: P::Period2007To2013,
            funds: vec![Fund::Erdf],
            priority_axes: vec![axis("3.1b", "Infrastruktura sociálních služeb"), axis("3.1c", "Sociální ekonomika"), axis("5.2c", "Problémová sídliště")],
        },
        ProgrammeData {
            code: "ROP".into(),
            name_cs: "Regionální operační programy".into(),
            name_en: "Regional operational programmes".into(),
            period: P::Period2007To2013,
            funds: vec![Fund::Erdf],
            priority_axes: vec![],
        },
        ProgrammeData {
            code: "OPZ".into(),
            name_cs: "Operační program Zaměstnanost".into(),
            name_en: "Operational Programme Employment".into(),
            period: P::Period2014To2020,
            funds: vec![Fund::Esf],
            priority_axes: vec![axis("2.1", "Sociální začleňování a boj s chudobou")],
        },
        ProgrammeData {
            code: "IROP".into(),
            name_cs: "Integrovaný regionální operační program".into(),
            name_en: "Integrated Regional Operational Programme".into(),
            period: P::Period2014To2020,
            funds: vec![Fund::Erdf],
            priority_axes: vec![axis("2.1", "Sociální infrastruktura")],
        },
        ProgrammeData {
            code: "IROP 2021+".into(),
            name_cs: "Integrovaný regionální operační program 2021–2027".into(),
            name_en: "Integrated Regional Operational Programme 2021–2027".into(),
            period: P::Period2021To2027,
            funds: vec![Fund::Erdf],
            priority_axes: vec![],
        },
        ProgrammeData {
            code: "OP VVV".into(),
            name_cs: "Operační program Výzkum, vývoj a vzdělávání".into(),
            name_en: "Operational Programme Research, Development and Education".into(),
            period: P::Period2014To2020,
            funds: vec![Fund::Esf, Fund::Erdf],
            priority_axes: vec![axis("3", "Rovný přístup ke kvalitnímu předškolnímu, primárnímu a sekundárnímu vzdělávání")],
        },
        ProgrammeData {
            code: "OPZ+".into(),
            name_cs: "Operační program Zaměstnanost plus".into(),
            name_en: "Operational Programme Employment Plus".into(),
            period: P::Period2021To2027,
            funds: vec![Fund::EsfPlus],
            priority_axes: vec![axis("2.2", "Sociální začleňování")],
        },
    ]
}

/// A call for proposals.
#[derive(Debug, Clone, PartialEq)]
pub struct CallData {
    pub external_ref: Option<String>,
    pub programme_id: Uuid,
    /// e.g. `052`.
    pub number: String,
    pub title: String,
    pub specific_objective: Option<String>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub allocation: Money,
    pub min_project: Option<Money>,
    pub max_project: Option<Money>,
    pub support_rate_bp: i32,
    pub kpsvl: bool,
    pub open_to: Vec<Uuid>,
}

impl CallData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if self.number.trim().is_empty() {
            v.push(FieldError::new("number", "blank", "a call has a number"));
        }
        if self.title.trim().is_empty() {
            v.push(FieldError::new("title", "blank", "title must not be blank"));
        }
        if self.closes_at < self.opens_at {
            v.push(FieldError::new("closes_at", "before_start", "closes_at is before opens_at"));
        }
        v.check(self.allocation.validate("allocation"));
        for (field, m) in [("min_project", &self.min_project), ("max_project", &self.max_project)] {
            if let Some(m) = m {
                v.check(m.validate(field));
                if m.currency != self.allocation.currency {
                    v.push(FieldError::new(format!("{field}.currency"), "mixed_currencies", "a call uses one currency"));
                }
            }
        }
        if let (Some(min), Some(max)) = (&self.min_project, &self.max_project)
            && max.amount_minor < min.amount_minor
        {
            v.push(FieldError::new("max_project", "below_minimum", "max_project is below min_project"));
        }
        if !(1..=10_000).contains(&self.support_rate_bp) {
            v.push(FieldError::new("support_rate_bp", "out_of_range", "the support rate is 1–10000 basis points (0.01–100 %)"));
        }
        if !self.kpsvl && !self.open_to.is_empty() {
            v.push(FieldError::new("open_to", "not_applicable", "only a coordinated-approach (KPSVL) call is restricted to partnerships"));
        }
        v.into_result().map(|()| self)
    }
}

impl CallData {
    /// The terms a submission to this call is checked against; `period` is its programme's.
    pub fn terms(&self, period: ProgrammingPeriod) -> CallTerms {
        CallTerms {
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            min_project: self.min_project.clone(),
            max_project: self.max_project.clone(),
            support_rate_bp: self.support_rate_bp,
            kpsvl: self.kpsvl,
            open_to: self.open_to.clone(),
            period,
        }
    }
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

/// A record of project counselling.
#[derive(Debug, Clone, PartialEq)]
pub struct CounsellingData {
    pub partnership_id: Uuid,
    /// The Agency consultant (a person).
    pub consultant_id: Uuid,
    pub organization_ids: Vec<Uuid>,
    pub held_on: NaiveDate,
    pub duration_minutes: i32,
    pub topic: String,
    pub call_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub notes: Option<String>,
}

impl CounsellingData {
    /// [`CounsellingData::validate`] of a record written on `today`: it records counselling
    /// that took place, so it is not dated in the future (checked first).
    pub fn validate_on(self, today: NaiveDate) -> Result<Self, DomainError> {
        crate::period::not_in_future(self.held_on, today, "held_on").map_err(|e| DomainError::Invalid(vec![e]))?;
        self.validate()
    }

    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if self.topic.trim().is_empty() {
            v.push(FieldError::new("topic", "blank", "topic must not be blank"));
        }
        if !(1..=24 * 60).contains(&self.duration_minutes) {
            v.push(FieldError::new("duration_minutes", "out_of_range", "a counselling session lasts 1–1440 minutes"));
        }
        v.into_result().map(|()| self)
    }
}

/// Funding of one measure by approved projects, compared with its estimated budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Approved projects cover the whole estimated budget.
    Full,
    /// Some, but not all.
    Partial,
    /// No approved project.
    None,
    /// Approved projects exist, but the measure has no estimated budget to compare with.
    NoBudget,
}

/// Splits a project's approved amount among its measures in proportion to their estimated
/// budgets (equally when none has a budget), in integers: the remainder goes to the first
/// measures so that the parts add up to the whole exactly.
pub fn split_amount(amount: i64, budgets: &[Option<i64>]) -> Vec<i64> {
    if budgets.is_empty() {
        return vec![];
    }
    let weights: Vec<i128> = if budgets.iter().all(|b| b.is_none_or(|x| x <= 0)) {
        vec![1; budgets.len()]
    } else {
        budgets.iter().map(|b| i128::from(b.unwrap_or(0).max(0))).collect()
    };
    let total: i128 = weights.iter().sum();
    let mut parts: Vec<i128> = weights.iter().map(|w| i128::from(amount) * w / total).collect();
    let mut rest = i128::from(amount) - parts.iter().sum::<i128>();
    for (part, w) in parts.iter_mut().zip(&weights) {
        if rest == 0 {
            break;
        }
        if *w > 0 {
            *part += 1;
            rest -= 1;
        }
    }
    parts.into_iter().map(|p| i64::try_from(p).unwrap_or(i64::MAX)).collect()
}

/// Compares the funding of a measure with its budget.
pub fn coverage(funded: i64, budget: Option<i64>) -> Coverage {
    match budget.filter(|b| *b > 0) {
        _ if funded <= 0 => Coverage::None,
        None => Coverage::NoBudget,
        Some(b) if funded >= b => Coverage::Full,
        Some(_) => Coverage::Partial,
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    #[test]
    fn splits_add_up_exactly() {
        assert_eq!(split_amount(100, &[Some(1), Some(1), Some(1)]), vec![34, 33, 33]);
        assert_eq!(split_amount(1000, &[Some(300), Some(100)]), vec![750, 250]);
        assert_eq!(split_amount(10, &[None, None]), vec![5, 5]);
        assert_eq!(split_amount(10, &[Some(5), None]), vec![10, 0]);
        assert_eq!(split_amount(7, &[]), Vec::<i64>::new());
        let parts = split_amount(i64::MAX, &[Some(i64::MAX), Some(1)]);
        assert_eq!(parts.iter().map(|p| i128::from(*p)).sum::<i128>(), i128::from(i64::MAX));
    }

    #[test]
    fn a_measure_is_linked_once_across_versions() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(check_distinct_measures(&[]).is_ok());
        assert!(check_distinct_measures(&[a, b]).is_ok());
        let e = check_distinct_measures(&[a, b, a]).unwrap_err();
        assert_eq!((e.field.as_str(), e.code.as_str()), ("measure_ids", "same_measure_twice"));
    }

    #[test]
    fn coverage_levels() {
        assert_eq!(coverage(0, Some(100)), Coverage::None);
        assert_eq!(coverage(50, Some(100)), Coverage::Partial);
        assert_eq!(coverage(100, Some(100)), Coverage::Full);
        assert_eq!(coverage(10, None), Coverage::NoBudget);
        assert_eq!(coverage(0, None), Coverage::None);
    }

    #[test]
    fn reference_programmes_are_valid() {
        let all = reference_programmes();
        assert!(all.iter().all(|p| p.clone().validate().is_ok()));
        assert!(all.iter().any(|p| p.code == "OPZ"));
    }
}

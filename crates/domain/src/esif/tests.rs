//! The ESIF rules, table-driven where inputs vary.
// Amounts are written as koruny_haléře (`1_000_000_00` is 1 000 000,00 Kč).
#![allow(clippy::inconsistent_digit_grouping)]

use super::*;
use crate::codelist::ProgrammingPeriod as P;
use crate::codelist::ProjectStatus;

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
    assert!(matches!(check_submission(&call(), &budget(1_000_000_00, 950_000_00), Uuid::from_u128(2), d("2019-06-01"), &plan), Err(DomainError::Conflict(_))));
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
    assert_eq!(messages(check_submission(&call(), &budget(60_000_00, 50_000_00), p, d("2019-06-01"), &plan)), ["the call funds projects from 100 000,00 Kč"]);
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

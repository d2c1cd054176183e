//! The plan's rules, table-driven where inputs vary.
use super::*;
use crate::codelist::{FundingSource, IndicatorAggregation, IndicatorKind, IndicatorMeasure, MeasureKind, ThematicArea};
use crate::money::Money;
use uuid::Uuid;

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
        external_ref: None,
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
    let dup = MeasureData { indicators: vec![ind(IndicatorKind::Count, true, None, Some(1.0)), ind(IndicatorKind::Count, true, None, Some(2.0))], ..measure() };
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
    assert_eq!(codes(MeasureData { indicators: vec![pct_flow], ..measure() }.validate()), vec![("indicators[0].aggregation".into(), "not_additive".into())]);
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
    let facts =
        |previous| MeasureFacts { previous, plan_valid_to: d("2022-12-31"), goal_in_plan: true, parent: None, activity_deadlines: vec![], responsible: None };
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

//! Fulfilment of a strategic plan as of a day: counts by status, overdue measures, indicator
//! attainment, and progress rolled up per goal and per thematic area.
//!
//! The roll-up is deliberate (comparable systems got it wrong by summing, or by averaging
//! averages and counting empty children):
//! - Only measures count; activities are steps inside their measure.
//! - A measure's progress is 100 % when its latest report says `completed`, otherwise the
//!   latest report's `percent_done`; a measure with no report yet counts as 0 % and is also
//!   counted as `unreported`, so that silence never looks like progress.
//! - Cancelled measures are left out of progress and of the completed share (they will not be
//!   delivered by decision; counting them as 0 % or 100 % would both mislead), and are counted.
//! - A goal's progress covers every measure beneath it and beneath its sub-goals, each measure
//!   once (never an average of sub-goal averages). It is weighted by the measures' estimated
//!   budgets when every counted measure has a positive budget, otherwise a plain average; the
//!   answer says which. A goal with no countable measure has no progress (`null`), not 0 %.
//! - Indicator attainment of a goal or thematic area: the plain average of the attainments of
//!   the indicators of its measures (the goal's own and its sub-goals', each indicator once;
//!   every indicator weighs the same). Indicators whose attainment cannot be computed
//!   (qualitative, nothing reported yet, a descending one without baseline) are left out;
//!   with none left it is `null`. An indicator's actual value follows its declared
//!   aggregation over the values reported per period (see `indicator::actual_as_of`), or,
//!   for an indicator without period values, the latest value in a progress report.
//! - Overdue: the deadline passed before the day and the measure is neither completed nor
//!   cancelled (unreported measures included).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codelist::{IndicatorKind, ProgressStatus, ThematicArea};
use crate::plan::Indicator;

/// The latest report on a measure, as of the day.
#[derive(Debug, Clone, PartialEq)]
pub struct LatestReport {
    pub status: ProgressStatus,
    pub percent_done: i32,
    pub reported_on: NaiveDate,
}

/// What the computation needs to know of a measure.
#[derive(Debug, Clone)]
pub struct MeasureState {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub goal_id: Uuid,
    pub thematic_area: ThematicArea,
    pub deadline: Option<NaiveDate>,
    /// The estimated budget in minor units, when given.
    pub budget_minor: Option<i64>,
    pub latest: Option<LatestReport>,
    pub indicators: Vec<Indicator>,
    /// The latest reported actual value per indicator key, as of the day.
    pub actuals: HashMap<String, f64>,
}

/// A goal in the plan's tree.
#[derive(Debug, Clone)]
pub struct GoalNode {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub parent_id: Option<Uuid>,
}

/// Measures by their reported status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusCounts {
    pub total: u32,
    pub not_started: u32,
    pub in_progress: u32,
    pub completed: u32,
    pub delayed: u32,
    pub cancelled: u32,
    /// Measures without any report as of the day.
    pub unreported: u32,
    pub overdue: u32,
}

/// How a roll-up was weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// By estimated budget (every counted measure has one).
    Budget,
    /// Plain average.
    Average,
    /// Nothing to weigh: no countable measure.
    None,
}

/// A roll-up over a set of measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rollup {
    pub counts: StatusCounts,
    /// Completed measures as a share of those not cancelled, in percent (`null` if none).
    pub share_completed: Option<f64>,
    /// Progress in percent (`null` when no measure counts).
    pub progress: Option<f64>,
    pub weighting: Weighting,
}

/// A goal's roll-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoalFulfilment {
    pub goal_id: Uuid,
    pub code: String,
    pub title: String,
    #[serde(flatten)]
    pub rollup: Rollup,
    /// The average attainment (0–100 %) of the indicators of the goal's measures, sub-goals
    /// included (`null`: none can be computed).
    pub indicator_attainment: Option<f64>,
}

/// A thematic area's roll-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AreaFulfilment {
    pub thematic_area: ThematicArea,
    #[serde(flatten)]
    pub rollup: Rollup,
    /// The average attainment (0–100 %) of the indicators of the area's measures (`null`:
    /// none can be computed).
    pub indicator_attainment: Option<f64>,
}

/// A measure whose deadline passed without completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverdueMeasure {
    pub measure_id: Uuid,
    pub code: String,
    pub title: String,
    #[serde(serialize_with = "crate::json_date::serialize")]
    pub deadline: NaiveDate,
    /// The latest reported status (`null`: never reported).
    pub status: Option<ProgressStatus>,
}

/// Actual versus target for one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorAttainment {
    pub measure_id: Uuid,
    pub measure_code: String,
    pub key: String,
    pub name: String,
    pub kind: IndicatorKind,
    pub ascending: bool,
    pub baseline_value: Option<f64>,
    pub target_value: Option<f64>,
    /// The latest reported value as of the day.
    pub actual_value: Option<f64>,
    /// How far from baseline to target the actual value got, 0–100 % (`null` when it cannot be
    /// computed: qualitative, no actual value, or a descending indicator without a baseline).
    pub attainment: Option<f64>,
}

/// The fulfilment of a plan as of a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fulfilment {
    #[serde(serialize_with = "crate::json_date::serialize")]
    pub as_of: NaiveDate,
    #[serde(flatten)]
    pub overall: Rollup,
    pub overdue_measures: Vec<OverdueMeasure>,
    pub indicators: Vec<IndicatorAttainment>,
    pub goals: Vec<GoalFulfilment>,
    pub thematic_areas: Vec<AreaFulfilment>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn progress_of(m: &MeasureState) -> f64 {
    match &m.latest {
        None => 0.0,
        Some(r) if r.status == ProgressStatus::Completed => 100.0,
        Some(r) => f64::from(r.percent_done.clamp(0, 100)),
    }
}

fn is_overdue(m: &MeasureState, as_of: NaiveDate) -> bool {
    crate::monitoring::overdue_on(m.deadline, m.latest.as_ref().map(|r| r.status), as_of)
}

/// Rolls up a set of measures.
pub fn rollup(measures: &[&MeasureState], as_of: NaiveDate) -> Rollup {
    let mut counts = StatusCounts::default();
    for m in measures {
        counts.total += 1;
        match m.latest.as_ref().map(|r| r.status) {
            None => counts.unreported += 1,
            Some(ProgressStatus::NotStarted) => counts.not_started += 1,
            Some(ProgressStatus::InProgress) => counts.in_progress += 1,
            Some(ProgressStatus::Completed) => counts.completed += 1,
            Some(ProgressStatus::Delayed) => counts.delayed += 1,
            Some(ProgressStatus::Cancelled) => counts.cancelled += 1,
        }
        if is_overdue(m, as_of) {
            counts.overdue += 1;
        }
    }
    let counted: Vec<&&MeasureState> = measures.iter().filter(|m| m.latest.as_ref().is_none_or(|r| r.status != ProgressStatus::Cancelled)).collect();
    let share_completed = (!counted.is_empty()).then(|| round1(f64::from(counts.completed) * 100.0 / counted.len() as f64));
    let (progress, weighting) = if counted.is_empty() {
        (None, Weighting::None)
    } else if counted.iter().all(|m| m.budget_minor.is_some_and(|b| b > 0)) {
        // Integer weights, summed exactly; only the final division is floating point.
        let total: i128 = counted.iter().map(|m| i128::from(m.budget_minor.unwrap_or(0))).sum();
        let weighted: f64 = counted.iter().map(|m| progress_of(m) * (i128::from(m.budget_minor.unwrap_or(0)) as f64 / total as f64)).sum();
        (Some(round1(weighted)), Weighting::Budget)
    } else {
        (Some(round1(counted.iter().map(|m| progress_of(m)).sum::<f64>() / counted.len() as f64)), Weighting::Average)
    };
    Rollup { counts, share_completed, progress, weighting }
}

/// How far from baseline to target the actual value got, in percent, clamped to 0–100.
pub fn attainment(indicator: &Indicator, actual: Option<f64>) -> Option<f64> {
    if indicator.kind == IndicatorKind::Qualitative {
        return None;
    }
    let actual = actual?;
    let target = indicator.target_value?;
    let baseline = match indicator.baseline_value {
        Some(b) => b,
        // More is better and nothing was said of the start: count from zero.
        None if indicator.ascending => 0.0,
        None => return None,
    };
    let span = target - baseline;
    let reached = if span == 0.0 {
        let achieved = if indicator.ascending { actual >= target } else { actual <= target };
        if achieved { 1.0 } else { 0.0 }
    } else {
        (actual - baseline) / span
    };
    Some(round1(reached.clamp(0.0, 1.0) * 100.0))
}

/// The average attainment of the indicators of `measures`.
fn indicator_average(indicators: &[IndicatorAttainment], measures: &[&MeasureState]) -> Option<f64> {
    let ids: std::collections::HashSet<Uuid> = measures.iter().map(|m| m.id).collect();
    crate::indicator::average_attainment(indicators.iter().filter(|i| ids.contains(&i.measure_id)).map(|i| i.attainment))
}

/// Computes the fulfilment of a plan as of `as_of`.
pub fn compute(goals: &[GoalNode], measures: &[MeasureState], as_of: NaiveDate) -> Fulfilment {
    let all: Vec<&MeasureState> = measures.iter().collect();
    let overall = rollup(&all, as_of);

    let mut overdue_measures: Vec<OverdueMeasure> = measures
        .iter()
        .filter(|m| is_overdue(m, as_of))
        .filter_map(|m| {
            Some(OverdueMeasure {
                measure_id: m.id,
                code: m.code.clone(),
                title: m.title.clone(),
                deadline: m.deadline?,
                status: m.latest.as_ref().map(|r| r.status),
            })
        })
        .collect();
    overdue_measures.sort_by(|a, b| a.deadline.cmp(&b.deadline).then_with(|| a.code.cmp(&b.code)));

    let indicators: Vec<IndicatorAttainment> = measures
        .iter()
        .flat_map(|m| {
            m.indicators.iter().map(move |ind| {
                let actual = m.actuals.get(&ind.key).copied();
                IndicatorAttainment {
                    measure_id: m.id,
                    measure_code: m.code.clone(),
                    key: ind.key.clone(),
                    name: ind.name.clone(),
                    kind: ind.kind,
                    ascending: ind.ascending,
                    baseline_value: ind.baseline_value,
                    target_value: ind.target_value,
                    actual_value: actual,
                    attainment: attainment(ind, actual),
                }
            })
        })
        .collect();

    // Each goal covers its own measures and those of every goal beneath it.
    let parent: HashMap<Uuid, Option<Uuid>> = goals.iter().map(|g| (g.id, g.parent_id)).collect();
    let covers = |goal: Uuid, mut at: Uuid| -> bool {
        // Bounded walk up the tree: a cycle in stored data cannot hang the request.
        for _ in 0..=goals.len() {
            if at == goal {
                return true;
            }
            match parent.get(&at).copied().flatten() {
                Some(p) => at = p,
                None => return false,
            }
        }
        false
    };
    let goals = goals
        .iter()
        .map(|g| {
            let mine: Vec<&MeasureState> = measures.iter().filter(|m| covers(g.id, m.goal_id)).collect();
            let indicator_attainment = indicator_average(&indicators, &mine);
            GoalFulfilment { goal_id: g.id, code: g.code.clone(), title: g.title.clone(), rollup: rollup(&mine, as_of), indicator_attainment }
        })
        .collect();

    let mut by_area: BTreeMap<String, (ThematicArea, Vec<&MeasureState>)> = BTreeMap::new();
    for m in measures {
        by_area.entry(m.thematic_area.to_string()).or_insert_with(|| (m.thematic_area, Vec::new())).1.push(m);
    }
    let thematic_areas = by_area
        .into_values()
        .map(|(area, ms)| AreaFulfilment { thematic_area: area, rollup: rollup(&ms, as_of), indicator_attainment: indicator_average(&indicators, &ms) })
        .collect();

    Fulfilment { as_of, overall, overdue_measures, indicators, goals, thematic_areas }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn m(n: u128, goal: Uuid, deadline: &str, budget: Option<i64>, latest: Option<(ProgressStatus, i32)>) -> MeasureState {
        MeasureState {
            id: Uuid::from_u128(n),
            code: format!("1.{n}"),
            title: format!("M{n}"),
            goal_id: goal,
            thematic_area: if n.is_multiple_of(2) { ThematicArea::Housing } else { ThematicArea::Debt },
            deadline: Some(d(deadline)),
            budget_minor: budget,
            latest: latest.map(|(status, percent_done)| LatestReport { status, percent_done, reported_on: d("2020-01-01") }),
            indicators: vec![],
            actuals: HashMap::new(),
        }
    }

    #[test]
    fn a_small_plan_checked_by_hand() {
        use ProgressStatus as S;
        let (g1, g11, g2) = (Uuid::from_u128(100), Uuid::from_u128(101), Uuid::from_u128(200));
        let goals = vec![
            GoalNode { id: g1, code: "1".into(), title: "Bydlení".into(), parent_id: None },
            GoalNode { id: g11, code: "1.1".into(), title: "Sociální byty".into(), parent_id: Some(g1) },
            GoalNode { id: g2, code: "2".into(), title: "Dluhy".into(), parent_id: None },
        ];
        let measures = vec![
            m(1, g1, "2020-06-30", Some(100), Some((S::Completed, 100))),
            m(2, g11, "2020-06-30", Some(300), Some((S::InProgress, 50))),
            m(3, g11, "2021-06-30", None, None),
            m(4, g2, "2020-03-31", Some(1000), Some((S::Cancelled, 10))),
            m(5, g2, "2020-03-31", Some(500), Some((S::Delayed, 20))),
        ];
        let f = compute(&goals, &measures, d("2020-07-01"));
        // Counts: 5 measures, one each of completed, in_progress, cancelled, delayed, unreported.
        assert_eq!(
            f.overall.counts,
            StatusCounts { total: 5, not_started: 0, in_progress: 1, completed: 1, delayed: 1, cancelled: 1, unreported: 1, overdue: 2 }
        );
        // Completed share: 1 of 4 not cancelled = 25 %.
        assert_eq!(f.overall.share_completed, Some(25.0));
        // Progress: m3 has no budget → plain average of 100, 50, 0, 20 (m4 cancelled) = 42.5.
        assert_eq!(f.overall.progress, Some(42.5));
        assert_eq!(f.overall.weighting, Weighting::Average);
        // Overdue on 2020-07-01: m2 (deadline 06-30, in progress) and m5 (03-31, delayed);
        // m1 is completed, m4 cancelled, m3 not due yet.
        assert_eq!(f.overdue_measures.iter().map(|o| o.code.as_str()).collect::<Vec<_>>(), ["1.5", "1.2"]);

        let goal = |id| f.goals.iter().find(|g| g.goal_id == id).unwrap();
        // Goal 1 covers m1, m2 and m3 (from sub-goal 1.1), each once: (100 + 50 + 0) / 3 = 50.
        assert_eq!(goal(g1).rollup.progress, Some(50.0));
        assert_eq!(goal(g1).rollup.counts.total, 3);
        // Goal 1.1: m2 and m3: (50 + 0) / 2 = 25 — not the average of averages.
        assert_eq!(goal(g11).rollup.progress, Some(25.0));
        // Goal 2: m4 cancelled is left out; m5 alone with a budget → weighted by budget = 20.
        assert_eq!(goal(g2).rollup.progress, Some(20.0));
        assert_eq!(goal(g2).rollup.weighting, Weighting::Budget);
    }

    #[test]
    fn budget_weighting_and_empty_goals() {
        use ProgressStatus as S;
        let g = Uuid::from_u128(1);
        let a = m(1, g, "2030-01-01", Some(300), Some((S::InProgress, 100)));
        let b = m(2, g, "2030-01-01", Some(100), Some((S::InProgress, 0)));
        let r = rollup(&[&a, &b], d("2020-01-01"));
        // (100·300 + 0·100) / 400 = 75.
        assert_eq!((r.progress, r.weighting), (Some(75.0), Weighting::Budget));
        let cancelled = m(3, g, "2030-01-01", Some(1), Some((S::Cancelled, 0)));
        let r = rollup(&[&cancelled], d("2020-01-01"));
        assert_eq!((r.progress, r.share_completed, r.weighting), (None, None, Weighting::None));
        let r = rollup(&[], d("2020-01-01"));
        assert_eq!((r.progress, r.counts.total), (None, 0));
    }

    /// A cumulative count indicator with these numbers.
    fn indicator(key: &str, ascending: bool, baseline: Option<f64>, target: f64) -> Indicator {
        Indicator {
            key: key.into(),
            name: key.into(),
            unit: None,
            kind: IndicatorKind::Count,
            ascending,
            baseline_value: baseline,
            baseline_year: None,
            target_value: Some(target),
            target_text: None,
            target_date: None,
            aggregation: crate::codelist::IndicatorAggregation::Cumulative,
            measure: None,
        }
    }

    #[test]
    fn attainment_respects_direction() {
        let ind = |ascending, baseline, target| indicator("I", ascending, baseline, target);
        // Ascending 10 → 50, actual 30: halfway.
        assert_eq!(attainment(&ind(true, Some(10.0), 50.0), Some(30.0)), Some(50.0));
        // Descending 40 → 20 (fewer evictions), actual 35: a quarter of the way.
        assert_eq!(attainment(&ind(false, Some(40.0), 20.0), Some(35.0)), Some(25.0));
        // Overshooting is capped; going the wrong way is 0.
        assert_eq!(attainment(&ind(false, Some(40.0), 20.0), Some(10.0)), Some(100.0));
        assert_eq!(attainment(&ind(true, Some(10.0), 50.0), Some(5.0)), Some(0.0));
        // No baseline: ascending counts from zero, descending cannot be judged.
        assert_eq!(attainment(&ind(true, None, 200.0), Some(50.0)), Some(25.0));
        assert_eq!(attainment(&ind(false, None, 20.0), Some(30.0)), None);
        assert_eq!(attainment(&ind(true, Some(1.0), 2.0), None), None);
    }

    #[test]
    fn goal_and_area_indicator_attainment_average_their_indicators() {
        let ind = |key: &str, baseline, target| indicator(key, true, Some(baseline), target);
        let (g1, g11, g2) = (Uuid::from_u128(100), Uuid::from_u128(101), Uuid::from_u128(200));
        let goals = vec![
            GoalNode { id: g1, code: "1".into(), title: "A".into(), parent_id: None },
            GoalNode { id: g11, code: "1.1".into(), title: "B".into(), parent_id: Some(g1) },
            GoalNode { id: g2, code: "2".into(), title: "C".into(), parent_id: None },
        ];
        // m1 (goal 1, debt): I1 0 → 100, actual 50 (50 %); I2 10 → 20, actual 20 (100 %).
        let mut m1 = m(1, g1, "2030-01-01", None, None);
        m1.indicators = vec![ind("I1", 0.0, 100.0), ind("I2", 10.0, 20.0)];
        m1.actuals = HashMap::from([("I1".to_owned(), 50.0), ("I2".to_owned(), 20.0)]);
        // m2 (goal 1.1, housing): I1 0 → 40, actual 10 (25 %); I3 unreported (left out).
        let mut m2 = m(2, g11, "2030-01-01", None, None);
        m2.indicators = vec![ind("I1", 0.0, 40.0), ind("I3", 0.0, 1.0)];
        m2.actuals = HashMap::from([("I1".to_owned(), 10.0)]);
        // m3 (goal 2, debt): no indicators.
        let m3 = m(3, g2, "2030-01-01", None, None);
        let f = compute(&goals, &[m1, m2, m3], d("2025-01-01"));
        let goal = |id| f.goals.iter().find(|g| g.goal_id == id).map(|g| g.indicator_attainment);
        // Goal 1 covers m1 and m2: (50 + 100 + 25) / 3 = 58.3.
        assert_eq!(goal(g1), Some(Some(58.3)));
        assert_eq!(goal(g11), Some(Some(25.0)));
        assert_eq!(goal(g2), Some(None));
        let area = |a| f.thematic_areas.iter().find(|x| x.thematic_area == a).map(|x| x.indicator_attainment);
        // Debt: m1 and m3 → (50 + 100) / 2 = 75; housing: m2 → 25.
        assert_eq!(area(ThematicArea::Debt), Some(Some(75.0)));
        assert_eq!(area(ThematicArea::Housing), Some(Some(25.0)));
    }
}

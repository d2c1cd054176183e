//! A cooperation between the Agency and a partnership, and its timeline.
//!
//! A cooperation follows a **timeline template**: phases by month of cooperation. Month `n`
//! of a cooperation starting on `S` is `[S + (n−1) months, S + n months − 1 day]`. Each
//! phase's actual start and end come from what happened in the data (the partnership's
//! establishment, its analysis, its plans and evaluations, the hand-over), or from an
//! explicit milestone recorded for the phase; [`phase_state`] judges a phase on a day.
//!
//! Templates are data ([`TEMPLATES`]): `standard_36`, the three-year timeline of the 2014
//! recruitment of new localities, and `rozvoj_systemu_24`, an *illustrative* 24-month phase
//! list for the 2023 project "Rozvoj systémů pro sociální začleňování" (the Agency published
//! its key activities KA01–KA05, not a month-by-month timeline; see [`ROZVOJ_SYSTEMU_24`]).

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainError, Violations};

/// Where a phase's actual dates come from, besides its milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The partnership's `established_on` (or memorandum).
    Establishment,
    /// The partnership's situational analysis: started and completed.
    Analysis,
    /// The first plan version: submitted, approved by the assembly.
    Plan,
    /// The first plan in force: its approval, until the first evaluation (or its end).
    Implementation,
    /// The first evaluation, until a revised plan's approval.
    Evaluation,
    /// The revised plan: its approval, until its end (or the hand-over).
    ImplementationAfterRevision,
    /// The cooperation's (or the partnership's) hand-over.
    Handover,
    /// Only milestones record it.
    Milestones,
}

/// One phase of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseTemplate {
    pub code: &'static str,
    pub name: &'static str,
    /// First and last month of cooperation (1-based, inclusive).
    pub from_month: u32,
    pub to_month: u32,
    pub source: Source,
    /// Included only when the cooperation committed predefined activities.
    pub only_if_committed: bool,
}

/// A timeline template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    pub code: &'static str,
    pub name: &'static str,
    pub months: u32,
    pub description: &'static str,
    pub phases: &'static [PhaseTemplate],
}

const fn phase(code: &'static str, name: &'static str, from_month: u32, to_month: u32, source: Source) -> PhaseTemplate {
    PhaseTemplate { code, name, from_month, to_month, source, only_if_committed: false }
}

/// The standard three-year timeline of the 2014 recruitment (DOMAIN.md).
pub const STANDARD_36: Template = Template {
    code: "standard_36",
    name: "Standard three-year cooperation (2014 recruitment)",
    months: 36,
    description: "The Agency's published three-year timeline for localities recruited in 2014.",
    phases: &[
        phase("establish", "Establish the local partnership", 1, 1, Source::Establishment),
        phase("situational_analysis", "Situational analysis", 2, 4, Source::Analysis),
        phase("strategic_plan", "Strategic plan", 2, 6, Source::Plan),
        PhaseTemplate {
            code: "predefined_measure",
            name: "Prepare and start the predefined measure",
            from_month: 2,
            to_month: 6,
            source: Source::Milestones,
            only_if_committed: true,
        },
        phase("implementation", "Implement the plan in the field", 7, 18, Source::Implementation),
        phase("evaluation", "Evaluate fulfilment and revise the plan", 19, 22, Source::Evaluation),
        phase("implementation_after_revision", "Implement the revised plan in the field", 23, 30, Source::ImplementationAfterRevision),
        phase("handover", "Prepare and hand over the partnership's management; sustainability", 31, 36, Source::Handover),
    ],
};

/// An **illustrative** 24-month template for "Rozvoj systémů pro sociální začleňování"
/// (2023, OPZ+). The Agency published its scope (24 months per locality, a description of
/// cooperation with thematic areas and quality criteria set at the start and evaluated at
/// the end, key activities KA01–KA05), not a phase calendar; these months are this
/// application's reasonable reading of it.
pub const ROZVOJ_SYSTEMU_24: Template = Template {
    code: "rozvoj_systemu_24",
    name: "Rozvoj systémů pro sociální začleňování (24 months, illustrative)",
    months: 24,
    description: "Illustrative phases derived from the 2023 project's description; not an official Agency calendar.",
    phases: &[
        phase("description_of_cooperation", "Agree the description of cooperation, thematic areas and quality criteria", 1, 2, Source::Milestones),
        phase("situational_analysis", "Analyses (KA03)", 2, 6, Source::Analysis),
        phase("implementation", "Build the systems for social inclusion (KA01, KA02)", 4, 20, Source::Implementation),
        phase("good_practice_transfer", "Good-practice transfer: forum, workshops, conferences (KA04)", 7, 22, Source::Milestones),
        phase("evaluation", "Evaluate the quality criteria and improvement (KA05)", 21, 24, Source::Evaluation),
    ],
};

pub const TEMPLATES: &[Template] = &[STANDARD_36, ROZVOJ_SYSTEMU_24];

pub fn template(code: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.code == code)
}

/// The first day of month `n` (1-based) of a cooperation starting on `start`.
pub fn month_start(start: NaiveDate, n: u32) -> NaiveDate {
    start.checked_add_months(Months::new(n.saturating_sub(1))).unwrap_or(NaiveDate::MAX)
}

/// The last day of month `n` (1-based) of a cooperation starting on `start`.
pub fn month_end(start: NaiveDate, n: u32) -> NaiveDate {
    start.checked_add_months(Months::new(n)).and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
}

/// A cooperation's status: agreed → running → handed_over | ended_early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CooperationStatus {
    Agreed,
    Running,
    HandedOver,
    EndedEarly,
}

impl CooperationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agreed => "agreed",
            Self::Running => "running",
            Self::HandedOver => "handed_over",
            Self::EndedEarly => "ended_early",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Agreed, Self::Running, Self::HandedOver, Self::EndedEarly].into_iter().find(|s| s.as_str() == code)
    }
}

/// A lifecycle action on a cooperation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CooperationAction {
    Start,
    HandOver,
    End,
}

/// The status after `action`, or 409.
pub fn advance(status: CooperationStatus, action: CooperationAction) -> Result<CooperationStatus, DomainError> {
    use CooperationAction as A;
    use CooperationStatus as S;
    match (status, action) {
        (S::Agreed, A::Start) => Ok(S::Running),
        (S::Running, A::HandOver) => Ok(S::HandedOver),
        (S::Agreed | S::Running, A::End) => Ok(S::EndedEarly),
        (s, a) => Err(DomainError::Conflict(format!(
            "a cooperation that is {} cannot be {}",
            s.as_str(),
            match a {
                A::Start => "started",
                A::HandOver => "handed over",
                A::End => "ended",
            }
        ))),
    }
}

/// An explicit record of a phase's start or completion (for phases without events in the data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Milestone {
    pub phase: String,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
}

/// What a client sets on a cooperation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooperationData {
    pub partnership_id: Uuid,
    pub start_on: NaiveDate,
    pub months: u32,
    pub template: String,
    pub predefined_activities: Vec<String>,
    pub consultant_ids: Vec<Uuid>,
    pub note: Option<String>,
}

impl CooperationData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let known = template(&self.template);
        if known.is_none() {
            let codes: Vec<&str> = TEMPLATES.iter().map(|t| t.code).collect();
            v.push(crate::FieldError::new("template", "unknown", format!("unknown timeline template; one of {}", codes.join(", "))));
        }
        if !(1..=120).contains(&self.months) {
            v.push(crate::FieldError::new("months", "out_of_range", "between 1 and 120 months"));
        }
        for (i, a) in self.predefined_activities.iter().enumerate() {
            if a.trim().is_empty() || a.len() > 500 {
                v.push(crate::FieldError::new(format!("predefined_activities[{i}]"), "length", "1 to 500 characters"));
            }
        }
        v.into_result()?;
        Ok(self)
    }
}

/// Checks a milestone against a template: a known phase, completed not before started.
pub fn check_milestone(template: &Template, m: &Milestone) -> Result<(), DomainError> {
    let mut v = Violations::new();
    if !template.phases.iter().any(|p| p.code == m.phase) {
        let codes: Vec<&str> = template.phases.iter().map(|p| p.code).collect();
        v.push(crate::FieldError::new("phase", "unknown", format!("not a phase of {}; one of {}", template.code, codes.join(", "))));
    }
    if m.started_on.is_none() && m.completed_on.is_none() {
        v.push(crate::FieldError::new("started_on", "required", "give started_on, completed_on or both"));
    }
    if let (Some(s), Some(c)) = (m.started_on, m.completed_on)
        && c < s
    {
        v.push(crate::FieldError::new("completed_on", "before_start", "completed_on is before started_on"));
    }
    v.into_result()
}

/// A phase's actual dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
}

/// What happened in the data, per [`Source`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub establishment: Span,
    pub analysis: Span,
    pub plan: Span,
    pub implementation: Span,
    pub evaluation: Span,
    pub implementation_after_revision: Span,
    pub handover: Span,
}

impl Facts {
    fn of(&self, source: Source) -> Span {
        match source {
            Source::Establishment => self.establishment,
            Source::Analysis => self.analysis,
            Source::Plan => self.plan,
            Source::Implementation => self.implementation,
            Source::Evaluation => self.evaluation,
            Source::ImplementationAfterRevision => self.implementation_after_revision,
            Source::Handover => self.handover,
            Source::Milestones => Span::default(),
        }
    }
}

/// A phase's state on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PhaseState {
    NotStarted,
    OnTime,
    Late,
    DoneLate,
    Done,
}

/// Judges a phase planned for `[planned_start, planned_end]` on `as_of`, with its actual
/// dates (those after `as_of` have not happened yet on that day). Returns the state and the
/// days late (0 unless `late` or `done_late`):
/// - done: completed on or before the planned end; done_late: completed after it;
/// - not completed, after the planned end: late (by the days since the planned end);
/// - not started, after the planned start: late (by the days since the planned start);
/// - started, not completed, on or before the planned end: on_time;
/// - otherwise not_started.
pub fn phase_state(planned_start: NaiveDate, planned_end: NaiveDate, actual: Span, as_of: NaiveDate) -> (PhaseState, i64) {
    let started = actual.started_on.filter(|d| *d <= as_of);
    let completed = actual.completed_on.filter(|d| *d <= as_of);
    if let Some(done) = completed {
        return if done <= planned_end { (PhaseState::Done, 0) } else { (PhaseState::DoneLate, (done - planned_end).num_days()) };
    }
    if as_of > planned_end {
        return (PhaseState::Late, (as_of - planned_end).num_days());
    }
    match started {
        Some(_) => (PhaseState::OnTime, 0),
        None if as_of > planned_start => (PhaseState::Late, (as_of - planned_start).num_days()),
        None => (PhaseState::NotStarted, 0),
    }
}

/// A phase of a cooperation's timeline on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhaseLine {
    pub phase: String,
    pub name: String,
    pub from_month: u32,
    pub to_month: u32,
    pub planned_start: NaiveDate,
    pub planned_end: NaiveDate,
    pub actual_start: Option<NaiveDate>,
    pub actual_end: Option<NaiveDate>,
    /// `data` when derived from the partnership's records, `milestone` when recorded
    /// explicitly, `none` when nothing is known.
    pub source: String,
    pub state: PhaseState,
    pub days_late: i64,
}

/// The timeline of a cooperation on `as_of`: every phase of its template (the predefined
/// measure only when activities were committed), with its actual dates: a milestone's date
/// wins over one derived from the data, and dates after `as_of` are not shown.
pub fn timeline(template: &Template, start_on: NaiveDate, committed: bool, facts: &Facts, milestones: &[Milestone], as_of: NaiveDate) -> Vec<PhaseLine> {
    template
        .phases
        .iter()
        .filter(|p| committed || !p.only_if_committed)
        .map(|p| {
            let derived = facts.of(p.source);
            let milestone = milestones.iter().find(|m| m.phase == p.code);
            let actual = Span {
                started_on: milestone.and_then(|m| m.started_on).or(derived.started_on),
                completed_on: milestone.and_then(|m| m.completed_on).or(derived.completed_on),
            };
            let source = if milestone.is_some() {
                "milestone"
            } else if derived != Span::default() {
                "data"
            } else {
                "none"
            };
            let (planned_start, planned_end) = (month_start(start_on, p.from_month), month_end(start_on, p.to_month));
            let (state, days_late) = phase_state(planned_start, planned_end, actual, as_of);
            PhaseLine {
                phase: p.code.into(),
                name: p.name.into(),
                from_month: p.from_month,
                to_month: p.to_month,
                planned_start,
                planned_end,
                actual_start: actual.started_on.filter(|d| *d <= as_of),
                actual_end: actual.completed_on.filter(|d| *d <= as_of),
                source: source.into(),
                state,
                days_late,
            }
        })
        .collect()
}

/// A cooperation's state on a day, in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    pub as_of: NaiveDate,
    /// The phase planned for `as_of` (the first one when several overlap), if any.
    pub current_phase: Option<String>,
    pub late: bool,
    /// The most days any phase is late.
    pub days_late: i64,
    /// The late phases, with their days late.
    pub late_phases: Vec<LatePhase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatePhase {
    pub phase: String,
    pub days_late: i64,
}

pub fn summary(lines: &[PhaseLine], as_of: NaiveDate) -> Summary {
    let late_phases: Vec<LatePhase> =
        lines.iter().filter(|l| l.state == PhaseState::Late).map(|l| LatePhase { phase: l.phase.clone(), days_late: l.days_late }).collect();
    Summary {
        as_of,
        current_phase: lines.iter().find(|l| l.planned_start <= as_of && as_of <= l.planned_end).map(|l| l.phase.clone()),
        late: !late_phases.is_empty(),
        days_late: late_phases.iter().map(|l| l.days_late).max().unwrap_or(0),
        late_phases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn span(started: Option<&str>, completed: Option<&str>) -> Span {
        Span { started_on: started.map(d), completed_on: completed.map(d) }
    }

    #[test]
    fn months_of_cooperation() {
        let start = d("2014-07-01");
        assert_eq!(month_start(start, 1), d("2014-07-01"));
        assert_eq!(month_end(start, 1), d("2014-07-31"));
        assert_eq!(month_start(start, 2), d("2014-08-01"));
        assert_eq!(month_end(start, 4), d("2014-10-31"));
        assert_eq!(month_end(start, 36), d("2017-06-30"));
        let late_october = d("2018-10-25");
        assert_eq!(month_end(late_october, 1), d("2018-11-24"));
        assert_eq!(month_start(d("2019-01-31"), 2), d("2019-02-28"));
    }

    #[test]
    fn the_state_of_a_phase() {
        // Planned 1 Aug – 31 Oct 2014.
        let (s, e) = (d("2014-08-01"), d("2014-10-31"));
        let cases: &[(&str, Span, &str, PhaseState, i64)] = &[
            ("future", span(None, None), "2014-07-15", PhaseState::NotStarted, 0),
            ("on its first day", span(None, None), "2014-08-01", PhaseState::NotStarted, 0),
            ("on time", span(Some("2014-08-03"), None), "2014-09-01", PhaseState::OnTime, 0),
            ("late start", span(None, None), "2014-08-11", PhaseState::Late, 10),
            ("late finish", span(Some("2014-08-03"), None), "2014-11-05", PhaseState::Late, 5),
            ("done on time", span(Some("2014-08-03"), Some("2014-10-31")), "2014-12-01", PhaseState::Done, 0),
            ("done late", span(Some("2014-08-03"), Some("2014-11-10")), "2014-12-01", PhaseState::DoneLate, 10),
            ("done, judged before it happened", span(Some("2014-08-03"), Some("2014-10-01")), "2014-09-01", PhaseState::OnTime, 0),
            ("started later than as_of", span(Some("2014-09-01"), None), "2014-08-05", PhaseState::Late, 4),
        ];
        for (name, actual, as_of, state, days) in cases {
            assert_eq!(phase_state(s, e, *actual, d(as_of)), (*state, *days), "{name}");
        }
    }

    #[test]
    fn lifecycle() {
        use CooperationAction as A;
        use CooperationStatus as S;
        let cases = [
            (S::Agreed, A::Start, Some(S::Running)),
            (S::Agreed, A::HandOver, None),
            (S::Agreed, A::End, Some(S::EndedEarly)),
            (S::Running, A::Start, None),
            (S::Running, A::HandOver, Some(S::HandedOver)),
            (S::Running, A::End, Some(S::EndedEarly)),
            (S::HandedOver, A::End, None),
            (S::EndedEarly, A::Start, None),
        ];
        for (from, action, to) in cases {
            assert_eq!(advance(from, action).ok(), to, "{from:?} {action:?}");
        }
    }

    #[test]
    fn the_standard_timeline_with_facts_and_milestones() {
        let facts =
            Facts { establishment: span(Some("2018-10-25"), Some("2018-10-25")), analysis: span(Some("2018-11-01"), Some("2019-01-20")), ..Facts::default() };
        let lines = timeline(&STANDARD_36, d("2018-10-25"), false, &facts, &[], d("2019-06-01"));
        assert!(!lines.iter().any(|l| l.phase == "predefined_measure"));
        let state = |code: &str| lines.iter().find(|l| l.phase == code).map(|l| (l.state, l.days_late)).unwrap();
        assert_eq!(state("establish"), (PhaseState::Done, 0));
        assert_eq!(state("situational_analysis"), (PhaseState::Done, 0));
        // Month 6 ends 24 Apr 2019: the plan is 38 days late on 1 Jun 2019.
        assert_eq!(state("strategic_plan"), (PhaseState::Late, 38));
        assert_eq!(state("implementation"), (PhaseState::Late, 37));
        assert_eq!(state("handover"), (PhaseState::NotStarted, 0));
        let s = summary(&lines, d("2019-06-01"));
        assert!(s.late);
        assert_eq!(s.days_late, 38);
        assert_eq!(s.current_phase.as_deref(), Some("implementation"));

        let milestone = Milestone { phase: "predefined_measure".into(), started_on: Some(d("2018-12-01")), completed_on: None };
        let lines = timeline(&STANDARD_36, d("2018-10-25"), true, &facts, std::slice::from_ref(&milestone), d("2019-01-01"));
        let line = lines.iter().find(|l| l.phase == "predefined_measure").unwrap();
        assert_eq!((line.state, line.source.as_str()), (PhaseState::OnTime, "milestone"));
        assert!(check_milestone(&STANDARD_36, &milestone).is_ok());
        assert!(check_milestone(&STANDARD_36, &Milestone { phase: "nope".into(), ..milestone }).is_err());
    }

    #[test]
    fn templates_are_well_formed() {
        for t in TEMPLATES {
            assert!(template(t.code).is_some());
            for p in t.phases {
                assert!(1 <= p.from_month && p.from_month <= p.to_month && p.to_month <= t.months, "{} {}", t.code, p.code);
            }
        }
    }
}

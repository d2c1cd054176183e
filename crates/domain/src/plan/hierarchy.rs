//! The rules a measure's place in its plan obeys: goal and parent in the plan, activities
//! inside their measure, deadlines within the plan's validity, a member as implementer.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::codelist::MeasureKind;
use crate::error::Violations;
use crate::{DomainError, FieldError};

use super::MeasureData;

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

//! Reports a person reads: what a partnership's report page shows, gathered in one query.
//! The public parts (the partnership, its member organisations, its approved plan with goals
//! and measures) go to everyone; working groups, the plan's fulfilment and the projects only
//! to a caller who reads the partnership's records (`Action::Read`). No person is named: the
//! members are organisations, the working groups only their names and areas.

use chrono::NaiveDate;
use domain::access::{Action, Principal};
use domain::codelist::PlanStatus;
use domain::fulfilment::Fulfilment;
use persistence::esif::{self, ProjectRecord};
use persistence::memberships;
use persistence::organizations;
use persistence::partnerships::PartnershipRecord;
use persistence::plans::{self as repo, GoalRecord, MeasureRecord, PlanFilter, PlanRecord};
use persistence::territorial_units;
use persistence::working_groups::{self, WorkingGroup};
use persistence::{ConnectionTrait, PageRequest};
use uuid::Uuid;

use crate::{Result, partnerships, plans};

/// The plan a report shows, with its content.
pub struct PlanContent {
    pub plan: PlanRecord,
    pub goals: Vec<GoalRecord>,
    pub measures: Vec<MeasureRecord>,
    /// `None` unless the caller reads the partnership's records.
    pub fulfilment: Option<Fulfilment>,
}

/// What a partnership's report shows to this caller; `None`: not visible to the caller.
pub struct PartnershipReport {
    pub partnership: PartnershipRecord,
    pub territorial_units: Vec<String>,
    /// The names of the organisations that are members on the day, sorted.
    pub member_organizations: Vec<String>,
    pub working_groups: Option<Vec<WorkingGroup>>,
    /// The plan in force, otherwise the latest approved one (expired or superseded); drafts
    /// never.
    pub plan: Option<PlanContent>,
    pub projects: Option<Vec<ProjectRecord>>,
}

/// The rows of a short in-process list (at most 500: a partnership's members, groups, plans).
fn rows() -> PageRequest {
    PageRequest { limit: 500, ..Default::default() }
}

/// The plan a report shows: in force, else the latest approved version.
async fn shown_plan(conn: &impl ConnectionTrait, partnership_id: Uuid) -> Result<Option<PlanRecord>> {
    let filter = PlanFilter { partnership_id: Some(partnership_id), ..Default::default() };
    let mut public: Vec<PlanRecord> =
        repo::list_plans(conn, &filter, &rows()).await?.items.into_iter().filter(|p| domain::plan::is_public(p.data.status)).collect();
    public.sort_by_key(|p| (p.data.status == PlanStatus::InForce, p.data.data.valid_from, p.data.version_number));
    Ok(public.pop())
}

/// A partnership's report as of a day, for a caller (`None`: anonymous): 404 when the
/// partnership does not exist.
#[tracing::instrument(name = "reports::partnership_report", skip_all, fields(%id))]
pub async fn partnership_report(conn: &impl ConnectionTrait, who: Option<&Principal>, id: Uuid, as_of: NaiveDate) -> Result<PartnershipReport> {
    let partnership = partnerships::get(conn, id).await?;
    let reader = who.filter(|w| w.authorize(Action::Read { partnership: id }).is_ok());

    let mut units = Vec::new();
    for unit in &partnership.data.data.territorial_unit_ids {
        units.push(territorial_units::get(conn, *unit).await?.data.name);
    }
    let filter = memberships::Filter { partnership_id: Some(id), active_on: Some(as_of), ..Default::default() };
    let mut members = Vec::new();
    for m in memberships::list(conn, &filter, &rows()).await?.items {
        members.push(organizations::get(conn, m.data.organization_id).await?.data.name);
    }
    members.sort();
    members.dedup();

    let working_groups = match reader {
        Some(_) => {
            let filter = working_groups::Filter { partnership_id: Some(id), ..Default::default() };
            Some(working_groups::list(conn, &filter, &rows()).await?.items)
        }
        None => None,
    };
    let plan = match shown_plan(conn, id).await? {
        Some(plan) => {
            let goals = repo::goals_of(conn, plan.meta.id).await?;
            let measures = repo::measures_of(conn, plan.meta.id).await?;
            let fulfilment = match reader {
                Some(who) => Some(plans::fulfilment(conn, who, plan.meta.id, as_of).await?),
                None => None,
            };
            Some(PlanContent { plan, goals, measures, fulfilment })
        }
        None => None,
    };
    let projects = match reader {
        Some(_) => {
            let filter = esif::ProjectFilter { partnership_id: Some(id), ..Default::default() };
            Some(esif::list_projects(conn, &filter, &rows()).await?.items)
        }
        None => None,
    };
    Ok(PartnershipReport { partnership, territorial_units: units, member_organizations: members, working_groups, plan, projects })
}

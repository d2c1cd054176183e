//! Reports a person reads: what a partnership's report page shows, gathered in one query.
//! The public parts (the partnership, its member organisations, its approved plan with goals
//! and measures) go to everyone; working groups, the plan's fulfilment and the projects only
//! to a caller who reads the partnership's records (`Action::Read`). No person is named: the
//! members are organisations, the working groups only their names and areas.
//!
//! Also a plan's monitoring report, the Agency's portfolio, and which pages a caller may open
//! (for signed links to them).

use chrono::NaiveDate;
use domain::access::{Action, Principal};
use domain::codelist::PlanStatus;
use domain::fulfilment::Fulfilment;
use persistence::Conn;
use persistence::PageRequest;
use persistence::esif::{self, ProjectRecord};
use persistence::memberships;
use persistence::organizations;
use persistence::partnerships::PartnershipRecord;
use persistence::plans::{self as repo, GoalRecord, MeasureRecord, PlanFilter, PlanRecord};
use persistence::territorial_units;
use persistence::working_groups::{self, WorkingGroup};
use uuid::Uuid;

use domain::cooperation::Summary;
use persistence::cooperations::CooperationRecord;

use crate::{Result, cooperations, monitoring, partnerships, plans};

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
    /// The five latest meetings held by the day (titles, dates, resolutions; never the
    /// attendance or minutes).
    pub recent_meetings: Option<Vec<persistence::meetings::Meeting>>,
    /// The latest cooperation with the Agency and its timeline on the day.
    pub cooperation: Option<(CooperationRecord, Vec<domain::cooperation::PhaseLine>, Summary)>,
}

/// The rows of a short in-process list (at most 500: a partnership's members, groups, plans).
fn rows() -> PageRequest {
    PageRequest { limit: 500, ..Default::default() }
}

/// The plan a report shows: in force, else the latest approved version.
async fn shown_plan(conn: &impl Conn, partnership_id: Uuid) -> Result<Option<PlanRecord>> {
    let filter = PlanFilter { partnership_id: Some(partnership_id), ..Default::default() };
    let mut public: Vec<PlanRecord> =
        repo::list_plans(conn, &filter, &rows()).await?.items.into_iter().filter(|p| domain::plan::is_public(p.data.status)).collect();
    public.sort_by_key(|p| (p.data.status == PlanStatus::InForce, p.data.data.valid_from, p.data.version_number));
    Ok(public.pop())
}

/// A partnership's report as of a day, for a caller (`None`: anonymous): 404 when the
/// partnership does not exist.
#[tracing::instrument(name = "reports::partnership_report", skip_all, fields(%id))]
pub async fn partnership_report(conn: &impl Conn, who: Option<&Principal>, id: Uuid, as_of: NaiveDate) -> Result<PartnershipReport> {
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
    let (recent_meetings, cooperation) = match reader {
        Some(who) => (Some(recent_meetings(conn, id, as_of).await?), latest_cooperation(conn, who, id, as_of).await?),
        None => (None, None),
    };
    Ok(PartnershipReport { partnership, territorial_units: units, member_organizations: members, working_groups, plan, projects, recent_meetings, cooperation })
}

/// The five latest meetings of a partnership (or its working groups) begun by the day's end.
async fn recent_meetings(conn: &impl Conn, id: Uuid, as_of: NaiveDate) -> Result<Vec<persistence::meetings::Meeting>> {
    let to = as_of.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
    let filter = persistence::meetings::Filter { partnership_id: Some(id), to, ..Default::default() };
    let request = PageRequest { limit: 5, sort: Some("-starts_at".into()), list: "report-meetings".into(), ..Default::default() };
    Ok(persistence::meetings::list(conn, &filter, &request).await?.items)
}

/// A partnership's latest cooperation (by start) with its timeline on the day.
async fn latest_cooperation(
    conn: &impl Conn,
    who: &Principal,
    id: Uuid,
    as_of: NaiveDate,
) -> Result<Option<(CooperationRecord, Vec<domain::cooperation::PhaseLine>, Summary)>> {
    let filter = persistence::cooperations::Filter { partnership_id: Some(id), ..Default::default() };
    let found = cooperations::list(conn, who, filter, &rows(), None, false).await?.items;
    match found.into_iter().map(|(c, _)| c).max_by_key(|c| c.data.data.start_on) {
        Some(c) => Ok(Some(cooperations::timeline(conn, who, c.meta.id, as_of).await?)),
        None => Ok(None),
    }
}

/// A plan's monitoring report as of a day: the plan, its partnership's name, and its
/// fulfilment with the goals and the measures' states it was computed from.
pub struct PlanReport {
    pub plan: PlanRecord,
    pub partnership_name: String,
    pub detail: plans::FulfilmentDetail,
}

/// A plan's monitoring report, to a caller who reads its partnership's records (404
/// otherwise: monitoring is not public), exactly as `GET /strategic-plans/{id}/fulfilment`.
#[tracing::instrument(name = "reports::plan_report", skip_all, fields(%id))]
pub async fn plan_report(conn: &impl Conn, who: &Principal, id: Uuid, as_of: NaiveDate) -> Result<PlanReport> {
    let plan = repo::get_plan(conn, id).await?;
    who.authorize(Action::Read { partnership: plan.data.data.partnership_id })?;
    let partnership_name = partnerships::get(conn, plan.data.data.partnership_id).await?.data.data.name;
    let detail = plans::fulfilment_in_detail(conn, &plan, as_of).await?;
    Ok(PlanReport { plan, partnership_name, detail })
}

/// A partnership of the portfolio with its state on the day.
pub struct PortfolioRow {
    pub partnership: PartnershipRecord,
    /// Its cooperations with the Agency (the latest start first), each with its state.
    pub cooperations: Vec<(CooperationRecord, Summary)>,
    /// The plan in force (else the latest approved) with its fulfilment counts.
    pub plan: Option<(PlanRecord, Fulfilment)>,
}

/// The Agency's portfolio as of a day: every partnership whose records the caller reads (a
/// partner its own; everyone else all, archived ones left out), by name, each with its
/// cooperations and their state (the computation of `GET /cooperations?as_of=`) and its plan's
/// fulfilment.
#[tracing::instrument(name = "reports::portfolio", skip_all)]
pub async fn portfolio(conn: &impl Conn, who: &Principal, as_of: NaiveDate) -> Result<Vec<PortfolioRow>> {
    let mut found = Vec::new();
    match who.readable_partnerships() {
        Some(ids) => {
            for id in ids {
                match partnerships::get(conn, *id).await {
                    Ok(p) if p.meta.archived_at.is_none() => found.push(p),
                    Ok(_) | Err(crate::Error::Store(persistence::StoreError::NotFound)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        None => {
            let mut request = PageRequest { limit: 500, list: "portfolio".into(), ..Default::default() };
            loop {
                let page = persistence::partnerships::list(conn, &Default::default(), &request).await?;
                found.extend(page.items);
                match page.next_cursor {
                    Some(next) => request.cursor = Some(next),
                    None => break,
                }
            }
        }
    }
    found.sort_by(|a, b| a.data.data.name.cmp(&b.data.data.name));
    let mut by_partnership: std::collections::HashMap<Uuid, Vec<(CooperationRecord, Summary)>> = std::collections::HashMap::new();
    let mut request = PageRequest { limit: 500, list: "portfolio-cooperations".into(), ..Default::default() };
    loop {
        let page = cooperations::list(conn, who, Default::default(), &request, Some(as_of), false).await?;
        for (c, summary) in page.items {
            if let Some(summary) = summary {
                by_partnership.entry(c.data.data.partnership_id).or_default().push((c, summary));
            }
        }
        match page.next_cursor {
            Some(next) => request.cursor = Some(next),
            None => break,
        }
    }
    let mut rows = Vec::with_capacity(found.len());
    for partnership in found {
        let mut cooperations = by_partnership.remove(&partnership.meta.id).unwrap_or_default();
        cooperations.sort_by_key(|(c, _)| std::cmp::Reverse(c.data.data.start_on));
        let plan = match shown_plan(conn, partnership.meta.id).await? {
            Some(plan) => {
                let fulfilment = plans::fulfilment_of(conn, &plan, as_of).await?;
                Some((plan, fulfilment))
            }
            None => None,
        };
        rows.push(PortfolioRow { partnership, cooperations, plan });
    }
    Ok(rows)
}

/// A page or chart of the API (the paths of `routes::views`), for a signed link to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRef {
    PartnershipReport(Uuid),
    PlanReport(Uuid),
    FulfilmentChart(Uuid),
    PipelineChart,
    Portfolio,
    CooperationTimeline(Uuid),
    /// A measure's indicator by its key.
    IndicatorChart(Uuid, String),
    /// A support project's five target indicators ("Rozvoj systémů").
    SupportProjectIndicators(Uuid),
}

/// Whether the caller may open the page now: the very checks its handler makes (404 when the
/// resource does not exist or is not visible to the caller, 403 for the pipeline to a
/// partner).
pub async fn may_open(conn: &impl Conn, who: &Principal, page: &PageRef) -> Result<()> {
    match page {
        PageRef::PartnershipReport(id) => partnerships::get(conn, *id).await.map(|_| ()),
        PageRef::PlanReport(id) | PageRef::FulfilmentChart(id) => {
            let plan = repo::get_plan(conn, *id).await?;
            Ok(who.authorize(Action::Read { partnership: plan.data.data.partnership_id })?)
        }
        PageRef::PipelineChart => Ok(who.authorize(Action::ReadPipeline)?),
        PageRef::Portfolio => Ok(()),
        PageRef::CooperationTimeline(id) => cooperations::get(conn, who, *id).await.map(|_| ()),
        PageRef::IndicatorChart(id, key) => {
            let measure = monitoring::readable(conn, who, *id).await?;
            monitoring::indicator_of(&measure, key).map(|_| ())
        }
        PageRef::SupportProjectIndicators(id) => crate::support_projects::indicators_readable(conn, who, *id).await.map(|_| ()),
    }
}

//! The aggregates a ministry asks for: pipeline figures per call, funding per measure.

use crate::Conn;
use std::collections::HashMap;

use chrono::NaiveDate;
use domain::codelist::{ProgrammingPeriod, ProjectStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::calls::call_record;
use super::programmes::programme;
use super::{Call, Programme};
use crate::StoreError;
use crate::convert::code;
use crate::entities::{call, measure, operational_programme as op, project, project_measure as pm};

/// Pipeline figures of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallStats {
    pub call: Call,
    pub programme_code: String,
    pub period: ProgrammingPeriod,
    pub intents: u64,
    pub submitted: u64,
    pub approved: u64,
    /// Sum requested by the submitted projects.
    pub requested_minor: i128,
    /// Sum approved.
    pub approved_minor: i128,
}

/// What the pipeline reads of a project: call, status, submitted on, requested, approved.
/// `approved_minor, call_id, requested_minor, status, submitted_on`: in the order of their names,
/// which lets `crate::reader` run it on SQLite (a positional read of its rows follows the names).
type ProjectFigures = (Option<i64>, Option<Uuid>, i64, String, Option<NaiveDate>);

/// The running figures of one call.
#[derive(Default)]
struct Tally {
    intents: u64,
    submitted: u64,
    approved: u64,
    requested_minor: i128,
    approved_minor: i128,
}

/// Per call: every project linked to it (`intents`, whatever its state), those submitted
/// (including ones decided, realized or withdrawn after submission) with the sum they request,
/// and those approved and not withdrawn (approved, in realization, completed) with the sum
/// approved — the same rule the measure funding uses. Sums are exact integers.
pub async fn call_stats(conn: &impl Conn, programme_id: Option<Uuid>, period: Option<ProgrammingPeriod>) -> Result<Vec<CallStats>, StoreError> {
    let programmes: HashMap<Uuid, Programme> =
        crate::page::models(conn, op::Entity::find()).await?.into_iter().map(|m| programme(m).map(|p| (p.meta.id, p))).collect::<Result<_, _>>()?;
    let mut calls = call::Entity::find().filter(call::Column::ArchivedAt.is_null()).order_by_asc(call::Column::ProgrammeId).order_by_asc(call::Column::Number);
    if let Some(id) = programme_id {
        calls = calls.filter(call::Column::ProgrammeId.eq(id));
    }
    let calls: Vec<Call> = crate::page::models(conn, calls).await?.into_iter().map(call_record).collect::<Result<_, _>>()?;
    // Only the five columns the figures need, folded per call as they stream in: the report
    // reads every project, and whole rows (summaries, search text) cost more than the sums.
    let projects: Vec<ProjectFigures> = project::Entity::find()
        .select_only()
        .columns([
            project::Column::ApprovedMinor,
            project::Column::CallId,
            project::Column::RequestedMinor,
            project::Column::Status,
            project::Column::SubmittedOn,
        ])
        .filter(project::Column::ArchivedAt.is_null())
        .filter(project::Column::CallId.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let mut per_call: HashMap<Uuid, Tally> = HashMap::new();
    for (approved, call_id, requested, status, submitted_on) in projects {
        let Some(call_id) = call_id else { continue };
        let status: ProjectStatus = code(&status)?;
        let t = per_call.entry(call_id).or_default();
        t.intents += 1;
        if domain::esif::was_submitted(status) || (status == ProjectStatus::Withdrawn && submitted_on.is_some()) {
            t.submitted += 1;
            t.requested_minor += i128::from(requested);
        }
        if domain::esif::was_approved(status) {
            t.approved += 1;
            t.approved_minor += i128::from(approved.unwrap_or(0));
        }
    }
    let mut out = Vec::new();
    for c in calls {
        let Some(p) = programmes.get(&c.data.programme_id) else { continue };
        if period.is_some_and(|x| x != p.data.period) {
            continue;
        }
        let t = per_call.remove(&c.meta.id).unwrap_or_default();
        let s = CallStats {
            programme_code: p.data.code.clone(),
            period: p.data.period,
            call: c,
            intents: t.intents,
            submitted: t.submitted,
            approved: t.approved,
            requested_minor: t.requested_minor,
            approved_minor: t.approved_minor,
        };
        out.push(s);
    }
    Ok(out)
}

/// Funding of a measure by approved projects.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureFunding {
    pub measure_id: Uuid,
    pub code: String,
    pub title: String,
    pub budget_minor: Option<i64>,
    pub currency: Option<String>,
    pub funded_minor: i64,
    pub projects: Vec<Uuid>,
    pub coverage: domain::esif::Coverage,
}

/// Per measure of a plan: the approved projects linked to it and their approved amounts, each
/// split among the project's measures in proportion to the measures' budgets.
pub async fn measure_funding(conn: &impl Conn, plan_id: Uuid) -> Result<Vec<MeasureFunding>, StoreError> {
    let measures = crate::plans::measures_of(conn, plan_id).await?;
    // Links follow the measure's identity: a project linked to the same measure in another
    // version of the plan funds this one too.
    let keys: Vec<Uuid> = measures.iter().map(|m| m.data.measure_key).collect();
    let ids: Vec<Uuid> = crate::monitoring::measures_with_keys(conn, &keys).await?.into_keys().chain(measures.iter().map(|m| m.meta.id)).collect();
    let links =
        if ids.is_empty() { vec![] } else { crate::page::models(conn, pm::Entity::find().filter(pm::Column::MeasureId.is_in(ids.iter().copied()))).await? };
    let project_ids: Vec<Uuid> = links.iter().map(|l| l.project_id).collect();
    let projects = if project_ids.is_empty() {
        vec![]
    } else {
        crate::page::models(conn, project::Entity::find().filter(project::Column::Id.is_in(project_ids)).filter(project::Column::ArchivedAt.is_null())).await?
    };
    // Budgets of every measure any of these projects implements (possibly in other plans).
    let all_links = if projects.is_empty() {
        vec![]
    } else {
        crate::page::models(conn, pm::Entity::find().filter(pm::Column::ProjectId.is_in(projects.iter().map(|p| p.id)))).await?
    };
    let linked_measures: HashMap<Uuid, (Option<i64>, Uuid)> = if all_links.is_empty() {
        HashMap::new()
    } else {
        crate::page::models(conn, measure::Entity::find().filter(measure::Column::Id.is_in(all_links.iter().map(|l| l.measure_id))))
            .await?
            .into_iter()
            .map(|m| (m.id, (m.budget_total_minor, m.measure_key.unwrap_or(m.id))))
            .collect()
    };
    let mut funded: HashMap<Uuid, (i64, Vec<Uuid>)> = HashMap::new();
    for p in &projects {
        let status: ProjectStatus = code(&p.status)?;
        if !domain::esif::was_approved(status) {
            continue;
        }
        // One part per measure identity: older data may link two versions of one measure, which
        // would otherwise take two parts (the latest-created version's budget counts).
        let mut mine: Vec<Uuid> = all_links.iter().filter(|l| l.project_id == p.id).map(|l| l.measure_id).collect();
        mine.sort_unstable_by(|a, b| b.cmp(a));
        let mut seen_keys = std::collections::HashSet::new();
        mine.retain(|m| seen_keys.insert(linked_measures.get(m).map_or(*m, |l| l.1)));
        let budgets: Vec<Option<i64>> = mine.iter().map(|m| linked_measures.get(m).and_then(|l| l.0)).collect();
        for (m, part) in mine.iter().zip(domain::esif::split_amount(p.approved_minor.unwrap_or(0), &budgets)) {
            let key = linked_measures.get(m).map_or(*m, |l| l.1);
            let entry = funded.entry(key).or_default();
            entry.0 = entry.0.saturating_add(part);
            entry.1.push(p.id);
        }
    }
    Ok(measures
        .into_iter()
        .map(|m| {
            let (amount, projects) = funded.get(&m.data.measure_key).cloned().unwrap_or_default();
            let total = m.data.data.budget_total();
            let budget_minor = total.as_ref().map(|t| t.amount_minor);
            MeasureFunding {
                measure_id: m.meta.id,
                code: m.data.data.code,
                title: m.data.data.title,
                budget_minor,
                currency: total.map(|t| t.currency),
                funded_minor: amount,
                coverage: domain::esif::coverage(amount, budget_minor),
                projects,
            }
        })
        .collect())
}

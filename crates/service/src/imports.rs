//! Bulk imports as the service sees them: the rows are written by the very use cases of the
//! single-row requests (see the API's `routes::imports`); here are what an import needs
//! besides them: the records its rows name by `external_ref`, and its stored reports, which
//! admins read all of and everyone else their own.

use persistence::Conn;
use std::collections::HashMap;

use chrono::NaiveDate;
use domain::access::{Principal, Role};
use persistence::imports::{self, ImportReport, Kind};
use persistence::organizations::{self, Organization};
use persistence::territorial_units::{self, TerritorialUnit};
use persistence::{Page, PageRequest, WriteTx, people, plans};
use uuid::Uuid;

use crate::Result;
use crate::meetings::Meetings;
use crate::records;
use crate::working_groups::WorkingGroups;

pub use persistence::imports::Kind as RefKind;

/// The record of this kind with this `external_ref`, if any (for an upsert: whether the row
/// updates or creates). Whether the caller may change it is the use case's answer.
pub async fn find(conn: &impl Conn, kind: Kind, external_ref: &str) -> Result<Option<Uuid>> {
    Ok(imports::find_by_external_ref(conn, kind, external_ref).await?)
}

/// [`find`] for a batch of rows at once: the ids of the records of this kind with these
/// `external_ref`s, by key.
pub async fn find_many(conn: &impl Conn, kind: Kind, external_refs: &[String]) -> Result<HashMap<String, Uuid>> {
    Ok(imports::find_many_by_external_ref(conn, kind, external_refs).await?)
}

/// The organizations with these `external_ref`s (the registry is public; whether the caller
/// may change one is the update use case's answer).
pub async fn organizations_by_ref(conn: &impl Conn, external_refs: &[String]) -> Result<Vec<Organization>> {
    Ok(organizations::by_external_refs(conn, external_refs).await?)
}

/// The territorial units with these `external_ref`s (public, as organizations).
pub async fn territorial_units_by_ref(conn: &impl Conn, external_refs: &[String]) -> Result<Vec<TerritorialUnit>> {
    Ok(territorial_units::by_external_refs(conn, external_refs).await?)
}

/// The record a reference column names: 404 when none has that `external_ref`, or (people,
/// who are personal data, and the records of a partnership, which are not public) when the
/// caller may not see it.
pub async fn resolve(conn: &impl Conn, who: &Principal, kind: Kind, external_ref: &str) -> Result<Uuid> {
    let id = imports::find_by_external_ref(conn, kind, external_ref).await?.ok_or_else(crate::Error::not_found)?;
    match kind {
        Kind::Person => {
            people::get(conn, id, who.readable_partnerships()).await?;
        }
        Kind::WorkingGroup => {
            records::get::<WorkingGroups>(conn, who, id).await?;
        }
        Kind::Meeting => {
            records::get::<Meetings>(conn, who, id).await?;
        }
        // Reports are never named by another row; one a caller may not read is not found.
        Kind::ProgressReport => {
            let report = plans::get_report(conn, id).await?;
            crate::monitoring::readable(conn, who, report.measure_id).await?;
        }
        Kind::Project => {
            crate::projects::get(conn, who, id).await?;
        }
        Kind::TerritorialUnit | Kind::Organization | Kind::Partnership | Kind::Call => {}
    }
    Ok(id)
}

/// The draft plans of a partnership the caller sees (a measure row names its plan by its
/// partnership's `external_ref`: the one draft, if there is exactly one).
pub async fn draft_plans(conn: &impl Conn, who: &Principal, partnership_id: Uuid) -> Result<Vec<Uuid>> {
    let filter = plans::PlanFilter {
        partnership_id: Some(partnership_id),
        status: Some(domain::codelist::PlanStatus::Draft),
        include_archived: false,
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let request = PageRequest { limit: 10, ..PageRequest::default() };
    Ok(plans::list_plans(conn, &filter, &request).await?.items.into_iter().map(|p| p.meta.id).collect())
}

/// The measure a row of a plan updates: the plan's measure with this `external_ref`.
pub async fn find_measure(conn: &impl Conn, plan_id: Uuid, external_ref: &str) -> Result<Option<Uuid>> {
    Ok(imports::find_measure(conn, plan_id, external_ref).await?)
}

/// A goal of a plan the caller sees, by its code: 404 when the plan is not visible or has
/// no goal of that code.
pub async fn goal_by_code(conn: &impl Conn, who: &Principal, plan_id: Uuid, code: &str) -> Result<Uuid> {
    crate::plans::get(conn, Some(who), plan_id).await?;
    imports::find_goal_by_code(conn, plan_id, code).await?.ok_or_else(crate::Error::not_found)
}

/// A measure of a plan the caller sees, by its code (an activity's parent).
pub async fn measure_by_code(conn: &impl Conn, who: &Principal, plan_id: Uuid, code: &str) -> Result<Uuid> {
    crate::plans::get(conn, Some(who), plan_id).await?;
    imports::find_measure_by_code(conn, plan_id, code).await?.ok_or_else(crate::Error::not_found)
}

/// The operational programme with this code: 404 when none has it (programmes are public).
pub async fn programme_by_code(conn: &impl Conn, code: &str) -> Result<Uuid> {
    imports::find_programme_by_code(conn, code).await?.ok_or_else(crate::Error::not_found)
}

/// The measures a `measure_ref` may name (a progress report's measure, a project's): those
/// with that `external_ref` (in `plan_id`, and `partnership_id`, when given) whose monitoring
/// the caller reads; of several (the versions of a revised plan), those of plans in force. One
/// is the answer; none is not found; more are ambiguous (the row should give `plan_id`).
pub async fn measures_by_ref(conn: &impl Conn, who: &Principal, external_ref: &str, plan_id: Option<Uuid>, partnership_id: Option<Uuid>) -> Result<Vec<Uuid>> {
    let mut found = Vec::new();
    for (measure_id, plan_id) in imports::measures_by_external_ref(conn, external_ref, plan_id, partnership_id).await? {
        match crate::monitoring::readable(conn, who, measure_id).await {
            Ok(_) => found.push((measure_id, plans::get_plan(conn, plan_id).await?.data.status)),
            Err(crate::Error::Store(persistence::StoreError::NotFound)) => {}
            Err(e) => return Err(e),
        }
    }
    if found.len() > 1 {
        found.retain(|(_, status)| *status == domain::codelist::PlanStatus::InForce);
    }
    Ok(found.into_iter().map(|(id, _)| id).collect())
}

/// The membership a row updates: the organization's membership in the partnership that
/// started that day.
pub async fn find_membership(conn: &impl Conn, partnership_id: Uuid, organization_id: Uuid, joined_on: NaiveDate) -> Result<Option<Uuid>> {
    Ok(imports::find_membership(conn, partnership_id, organization_id, joined_on).await?)
}

/// Whose reports a caller reads: an admin everyone's, anyone else their own.
fn owner(who: &Principal) -> Option<&str> {
    if who.role == Role::Admin { None } else { Some(who.subject.as_str()) }
}

/// Stores a report (its own write: kept for dry runs and rolled-back imports too).
pub async fn store_report(tx: &WriteTx, report: &ImportReport) -> Result<()> {
    Ok(imports::insert(tx, report).await?)
}

/// A stored report: 404 unless it is the caller's own or the caller is an admin.
pub async fn get_report(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<ImportReport> {
    Ok(imports::get(conn, id, owner(who)).await?)
}

/// The stored reports the caller reads, newest first.
pub async fn list_reports(conn: &impl Conn, who: &Principal, req: &PageRequest) -> Result<Page<ImportReport>> {
    Ok(imports::list(conn, owner(who), req).await?)
}

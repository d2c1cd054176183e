//! The project pipeline: intents recorded in a partnership, changed until submitted, and the
//! steps of the pipeline (recommend, submit, approve, reject, start, complete, withdraw),
//! judged by [`domain::esif::check_step`]. Projects are the partnership's internal records:
//! a caller who may not read its partnership's records is answered 404.

use domain::access::{Action, Principal};
use domain::esif::{self, ProjectData, ProjectFacts, ProjectStep, SubmissionFacts};
use domain::partnership::Activity;
use persistence::Conn;
use persistence::esif::{self as repo, ProjectRecord};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated, partnerships};

/// A project: 404 when it does not exist or the caller may not read its partnership's records.
#[tracing::instrument(name = "projects::get", skip_all, fields(%id))]
pub async fn get(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<ProjectRecord> {
    let found = repo::get_project(conn, id).await?;
    who.authorize(Action::Read { partnership: found.data.data.partnership_id })?;
    Ok(found)
}

/// Records a project intent of `applicant` in a partnership: 404 when the partnership does not
/// exist or the caller may not read its records, 403 unless the caller writes its projects
/// (a partner: its own organization's), 409 unless the partnership's status permits projects.
#[tracing::instrument(name = "projects::create", skip_all, fields(%partnership_id))]
pub async fn create<E>(s: &Session<'_>, partnership_id: Uuid, applicant: Uuid, content: impl FnOnce() -> Result<ProjectData, E>) -> Result<ProjectRecord>
where
    Error: From<E>,
{
    partnerships::require(s.conn(), partnership_id).await?;
    s.allow(Action::WriteProject { partnership: partnership_id, applicant }).await.map_err(|e| match e {
        Error::Forbidden(_) => Error::Forbidden("your role does not allow project intents in this partnership".into()),
        other => other,
    })?;
    partnerships::permits(s.conn(), partnership_id, Activity::Projects).await?;
    Ok(repo::create_project(s.tx(), content()?).await?)
}

/// Changes a project's content until it is submitted. A partner may not hand its project to
/// another organization: the new applicant is authorized too.
#[tracing::instrument(name = "projects::update", skip_all, fields(%id))]
pub async fn update<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&ProjectData) -> Result<ProjectData, E>,
) -> Result<Updated<ProjectRecord>>
where
    Error: From<E>,
{
    let before = repo::get_project(s.conn(), id).await?;
    let current = &before.data.data;
    s.allow(Action::WriteProject { partnership: current.partnership_id, applicant: current.applicant_organization_id }).await?;
    partnerships::permits(s.conn(), current.partnership_id, Activity::Projects).await?;
    let data = edit(current)?;
    expect.check(before.meta.version)?;
    esif::ensure_project_editable(before.data.status)?;
    s.allow(Action::WriteProject { partnership: data.partnership_id, applicant: data.applicant_organization_id }).await?;
    let after = repo::update_project(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Takes a step of the project's pipeline: 404/403 by the access policy (the partnership's
/// decisions are admins' and its consultants', the applicant's own steps also its partner's),
/// 409 unless the partnership's status permits projects, 412 on a stale `If-Match`, then the
/// domain's [`esif::check_step`] on the facts it needs.
#[tracing::instrument(name = "projects::take_step", skip_all, fields(%id, action = step.action.name()))]
pub async fn take_step(s: &Session<'_>, id: Uuid, expect: &Precondition, step: ProjectStep) -> Result<Updated<ProjectRecord>> {
    let before = repo::get_project(s.conn(), id).await?;
    let project = &before.data.data;
    let partnership = project.partnership_id;
    s.allow(Action::ProjectStep { partnership, applicant: project.applicant_organization_id, step: step.action }).await?;
    partnerships::permits(s.conn(), partnership, Activity::Projects).await?;
    expect.check(before.meta.version)?;
    let submission = match (step.action, project.call_id) {
        (esif::ProjectAction::Submit, Some(call_id)) => Some(submission_facts(s.conn(), project, call_id, &step).await?),
        _ => None,
    };
    let facts = ProjectFacts { status: before.data.status, steps: &before.data.steps, partnership_id: partnership, budget: &project.budget, submission };
    let (next, steps) = esif::check_step(&facts, &step, s.today())?;
    let after = repo::set_project_status(s.tx(), &before, next, steps).await?;
    Ok(Updated { before, after })
}

/// What a submission to `call_id` is judged on: the call, the applicant's memberships, and
/// the partnership's plan on the day of submission.
async fn submission_facts(conn: &impl Conn, project: &ProjectData, call_id: Uuid, step: &ProjectStep) -> Result<SubmissionFacts> {
    let call = repo::get_call(conn, call_id).await?;
    let period = repo::call_period(conn, &call).await?;
    Ok(SubmissionFacts {
        call_archived: call.meta.archived_at.is_some(),
        terms: call.data.terms(period),
        applicant: persistence::memberships::standing(conn, project.partnership_id, project.applicant_organization_id).await?,
        plan: repo::plan_context(conn, project.partnership_id, &project.measure_ids, step.date).await?,
    })
}

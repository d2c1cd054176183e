//! Operational programmes and their calls for proposals: public reference information.
//! Programmes are maintained by admins ([`Action::MaintainProgrammes`]), calls also by
//! importers ([`Action::MaintainCalls`]). Anyone reads them, without a token.

use domain::access::Action;
use domain::esif::{CallData, ProgrammeData};
use persistence::Conn;
use persistence::esif::{self as repo, Call, Programme};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated};

/// A programme (public): 404 when it does not exist.
#[tracing::instrument(name = "calls::get_programme", skip_all, fields(%id))]
pub async fn get_programme(conn: &impl Conn, id: Uuid) -> Result<Programme> {
    Ok(repo::get_programme(conn, id).await?)
}

/// Adds a programme (admins; 409 when its code is taken).
#[tracing::instrument(name = "calls::create_programme", skip_all)]
pub async fn create_programme<E>(s: &Session<'_>, content: impl FnOnce() -> Result<ProgrammeData, E>) -> Result<Programme>
where
    Error: From<E>,
{
    s.allow_known(Action::MaintainProgrammes).await?;
    Ok(repo::create_programme(s.tx(), content()?).await?)
}

/// Changes a programme (admins): 403 before 404, as the programmes are public.
#[tracing::instrument(name = "calls::update_programme", skip_all, fields(%id))]
pub async fn update_programme<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&ProgrammeData) -> Result<ProgrammeData, E>,
) -> Result<Updated<Programme>>
where
    Error: From<E>,
{
    s.allow_known(Action::MaintainProgrammes).await?;
    let before = repo::get_programme(s.conn(), id).await?;
    let data = edit(&before.data)?;
    expect.check(before.meta.version)?;
    let after = repo::update_programme(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// A call (public): 404 when it does not exist.
#[tracing::instrument(name = "calls::get_call", skip_all, fields(%id))]
pub async fn get_call(conn: &impl Conn, id: Uuid) -> Result<Call> {
    Ok(repo::get_call(conn, id).await?)
}

/// Announces a call (admins and importers). The repository checks the programme and the
/// partnerships it names, and that the number is free in the programme.
#[tracing::instrument(name = "calls::create_call", skip_all)]
pub async fn create_call<E>(s: &Session<'_>, content: impl FnOnce() -> Result<CallData, E>) -> Result<Call>
where
    Error: From<E>,
{
    s.allow_known(Action::MaintainCalls).await?;
    Ok(repo::create_call(s.tx(), content()?).await?)
}

/// Changes a call (admins and importers).
#[tracing::instrument(name = "calls::update_call", skip_all, fields(%id))]
pub async fn update_call<E>(s: &Session<'_>, id: Uuid, expect: &Precondition, edit: impl FnOnce(&CallData) -> Result<CallData, E>) -> Result<Updated<Call>>
where
    Error: From<E>,
{
    s.allow_known(Action::MaintainCalls).await?;
    let before = repo::get_call(s.conn(), id).await?;
    let data = edit(&before.data)?;
    expect.check(before.meta.version)?;
    let after = repo::update_call(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives a call (admins and importers); projects naming it can no longer be submitted.
#[tracing::instrument(name = "calls::archive_call", skip_all, fields(%id))]
pub async fn archive_call(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<Call>> {
    s.allow_known(Action::MaintainCalls).await?;
    let before = repo::get_call(s.conn(), id).await?;
    expect.check(before.meta.version)?;
    let after = repo::archive_call(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

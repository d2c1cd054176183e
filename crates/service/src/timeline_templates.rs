//! Timeline templates: the two built into the program ([`domain::cooperation::BUILTINS`]) and
//! those admins define (stored). Anyone reads them, without a token; admins write
//! ([`Action::MaintainTemplates`]). A built-in template never changes (409); a stored one in
//! use by a cooperation or recruitment round (not archived) keeps its months and phases and
//! cannot be archived (409), since the timelines of those who follow it are computed from them.
//!
//! Every use case that lets a cooperation or round name a template asks [`template`] (or
//! [`require`]); a cooperation's timeline is computed on [`followed`].

use domain::DomainError;
use domain::access::Action;
use domain::cooperation::{self, Template};
use domain::registry::Meta;
use persistence::Conn;
use persistence::StoreError;
use persistence::timeline_templates::{self as repo, TemplateRecord};

use crate::{Error, Precondition, Result, Session, Updated};

/// A template as read: built in (without metadata) or stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateEntry {
    pub template: Template,
    /// A stored template's metadata; `None` for a built-in one.
    pub meta: Option<Meta>,
}

impl From<TemplateRecord> for TemplateEntry {
    fn from(r: TemplateRecord) -> Self {
        Self { template: r.data, meta: Some(r.meta) }
    }
}

fn builtin_entry(t: &Template) -> TemplateEntry {
    TemplateEntry { template: t.clone(), meta: None }
}

/// Every template: the built-in ones, then the stored ones by code (archived ones only with
/// `include_archived`). Admins define a handful, so they are read at once.
pub async fn list(conn: &impl Conn, include_archived: bool) -> Result<Vec<TemplateEntry>> {
    let mut all: Vec<TemplateEntry> = cooperation::BUILTINS.iter().map(builtin_entry).collect();
    all.extend(repo::all(conn, include_archived).await?.into_iter().map(TemplateEntry::from));
    Ok(all)
}

/// A template by code, built in or stored (also an archived one): 404 when there is none.
pub async fn get(conn: &impl Conn, code: &str) -> Result<TemplateEntry> {
    match cooperation::builtin(code) {
        Some(t) => Ok(builtin_entry(t)),
        None => Ok(repo::get(conn, code).await?.into()),
    }
}

/// The template named `code` that a cooperation or recruitment round may follow: a built-in
/// one, or a stored one that is not archived. Inside a write the stored one cannot change
/// until the write commits ([`repo::usable`]).
pub async fn template(conn: &impl Conn, code: &str) -> Result<Option<Template>> {
    match cooperation::builtin(code) {
        Some(t) => Ok(Some(t.clone())),
        None => Ok(repo::usable(conn, code).await?),
    }
}

/// [`template`], or a 422 on the field `template` listing the codes one may name.
pub async fn require(conn: &impl Conn, code: &str) -> Result<Template> {
    if let Some(t) = template(conn, code).await? {
        return Ok(t);
    }
    let stored = repo::usable_codes(conn).await?;
    let known = cooperation::BUILTINS.iter().map(|t| t.code.as_ref()).chain(stored.iter().map(String::as_str));
    Err(cooperation::unknown_template(known).into())
}

/// The template a stored cooperation follows: also an archived one (an archived cooperation may
/// name a template archived after it). One that does not exist at all is a conflict of the data.
pub async fn followed(conn: &impl Conn, code: &str) -> Result<Template> {
    match get(conn, code).await {
        Ok(entry) => Ok(entry.template),
        Err(Error::Store(StoreError::NotFound)) => Err(DomainError::Conflict(format!("the cooperation's timeline template `{code}` is unknown")).into()),
        Err(other) => Err(other),
    }
}

/// Defines a template (admins): 422 for a malformed one or a built-in code, 409 for a code
/// taken (also by an archived template).
#[tracing::instrument(name = "timeline_templates::create", skip_all)]
pub async fn create<E>(s: &Session<'_>, content: impl FnOnce() -> std::result::Result<Template, E>) -> Result<TemplateRecord>
where
    Error: From<E>,
{
    s.allow_known(Action::MaintainTemplates).await?;
    let template = content()?.validate()?;
    Ok(repo::create(s.tx(), template).await?)
}

/// The stored template an admin changes: 403 for others (templates are public, so before
/// 404), 409 for a built-in or an archived one, 404 when there is none.
async fn maintained(s: &Session<'_>, code: &str) -> Result<TemplateRecord> {
    s.allow_known(Action::MaintainTemplates).await?;
    cooperation::check_not_builtin(code)?;
    let current = repo::get(s.conn(), code).await?;
    if current.meta.archived_at.is_some() {
        return Err(DomainError::Conflict("the template is archived".into()).into());
    }
    Ok(current)
}

/// Changes a stored template (admins). Its code stays; while a cooperation or round follows
/// it, only its name and description may change (409 otherwise).
#[tracing::instrument(name = "timeline_templates::update", skip_all, fields(code))]
pub async fn update<E>(
    s: &Session<'_>,
    code: &str,
    expect: &Precondition,
    edit: impl FnOnce(&Template) -> std::result::Result<Template, E>,
) -> Result<Updated<TemplateRecord>>
where
    Error: From<E>,
{
    let before = maintained(s, code).await?;
    let data = edit(&before.data)?;
    expect.check(before.meta.version)?;
    repo::lock(s.tx(), &before).await?;
    cooperation::check_template_change(&before.data, &data, repo::uses(s.conn(), code).await?)?;
    let after = repo::update(s.tx(), &before, data.validate()?).await?;
    Ok(Updated { before, after })
}

/// Archives a stored template (admins), unless a cooperation or round follows it (409). Its
/// code stays taken.
#[tracing::instrument(name = "timeline_templates::archive", skip_all, fields(code))]
pub async fn archive(s: &Session<'_>, code: &str, expect: &Precondition) -> Result<Updated<TemplateRecord>> {
    let before = maintained(s, code).await?;
    expect.check(before.meta.version)?;
    repo::lock(s.tx(), &before).await?;
    cooperation::check_template_archive(repo::uses(s.conn(), code).await?)?;
    let after = repo::archive(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

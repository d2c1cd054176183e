//! The shared registries: territorial units with their excluded localities, organizations and
//! people. Territorial units and organizations are public; people are personal data, which a
//! partner reads only where its partnerships' records name them.
//!
//! Registry rows share one shape ([`InRegistry`]): written by those who write the registry
//! ([`Action::WriteRegistry`]), never hidden. People are further limited by how they are tied
//! to the caller's partnerships ([`Action::EditPerson`]).

use domain::access::{Action, Principal};
use domain::registry::{ExcludedLocalityData, OrganizationData, PersonData, Record, TerritorialUnitData};
use persistence::Conn;
use persistence::organizations::{self, Organization};
use persistence::people::{self, Person};
use persistence::territorial_units::{self as units, ExcludedLocality, TerritorialUnit};
use persistence::{StoreError, WriteTx};
use uuid::Uuid;

use crate::{Error, Precondition, Result, Session, Updated};

/// A kind of registry row, with its repository.
pub trait InRegistry {
    type Data;
    fn get(conn: &impl Conn, id: Uuid) -> impl Future<Output = Result<Record<Self::Data>, StoreError>>;
    fn insert(tx: &WriteTx, data: Self::Data) -> impl Future<Output = Result<Record<Self::Data>, StoreError>>;
    fn replace(tx: &WriteTx, current: &Record<Self::Data>, data: Self::Data) -> impl Future<Output = Result<Record<Self::Data>, StoreError>>;
    fn archive(tx: &WriteTx, current: &Record<Self::Data>) -> impl Future<Output = Result<Record<Self::Data>, StoreError>>;
    /// Inserts many rows at once, in order (by default one at a time).
    fn insert_many(tx: &WriteTx, rows: Vec<Self::Data>) -> impl Future<Output = Result<Vec<Record<Self::Data>>, StoreError>> {
        async move {
            let mut records = Vec::with_capacity(rows.len());
            for data in rows {
                records.push(Self::insert(tx, data).await?);
            }
            Ok(records)
        }
    }
}

/// Reads a public registry row (territorial units, localities, organizations).
#[tracing::instrument(name = "registry::get", skip_all, fields(%id))]
pub async fn get<R: InRegistry>(conn: &impl Conn, id: Uuid) -> Result<Record<R::Data>> {
    Ok(R::get(conn, id).await?)
}

/// Creates a registry row: 403 unless the caller writes the registry; `content` reads the
/// caller's input once the caller is authorized.
#[tracing::instrument(name = "registry::create", skip_all)]
pub async fn create<R: InRegistry, E>(s: &Session<'_>, content: impl FnOnce() -> Result<R::Data, E>) -> Result<Record<R::Data>>
where
    Error: From<E>,
{
    let data = check_create::<R, E>(s, content).await?;
    Ok(R::insert(s.tx(), data).await?)
}

/// What [`create`] checks, without its write: the content a bulk import's batch then writes
/// with [`insert_checked`], many rows to a statement.
pub async fn check_create<R: InRegistry, E>(s: &Session<'_>, content: impl FnOnce() -> Result<R::Data, E>) -> Result<R::Data>
where
    Error: From<E>,
{
    s.allow_known(Action::WriteRegistry).await?;
    Ok(content()?)
}

/// The write of [`create`] for rows that passed [`check_create`] in this write, in their order.
#[tracing::instrument(name = "registry::insert_checked", skip_all, fields(rows = rows.len()))]
pub async fn insert_checked<R: InRegistry>(tx: &WriteTx, rows: Vec<R::Data>) -> Result<Vec<Record<R::Data>>> {
    Ok(R::insert_many(tx, rows).await?)
}

/// Changes a registry row: `edit` turns its current content into the new one.
#[tracing::instrument(name = "registry::update", skip_all, fields(%id))]
pub async fn update<R: InRegistry, E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&R::Data) -> Result<R::Data, E>,
) -> Result<Updated<Record<R::Data>>>
where
    Error: From<E>,
{
    s.allow_known(Action::WriteRegistry).await?;
    let before = R::get(s.conn(), id).await?;
    replace::<R, E>(s, before, expect, edit).await
}

/// [`update`] of a row read in this write already (a bulk import reads the records its rows
/// name a batch at a time): the same access rule, edit, precondition and write, without the
/// read. The write is guarded by the version read, as every update is.
#[tracing::instrument(name = "registry::update_read", skip_all, fields(id = %before.meta.id))]
pub async fn update_read<R: InRegistry, E>(
    s: &Session<'_>,
    before: Record<R::Data>,
    expect: &Precondition,
    edit: impl FnOnce(&R::Data) -> Result<R::Data, E>,
) -> Result<Updated<Record<R::Data>>>
where
    Error: From<E>,
{
    s.allow_known(Action::WriteRegistry).await?;
    replace::<R, E>(s, before, expect, edit).await
}

async fn replace<R: InRegistry, E>(
    s: &Session<'_>,
    before: Record<R::Data>,
    expect: &Precondition,
    edit: impl FnOnce(&R::Data) -> Result<R::Data, E>,
) -> Result<Updated<Record<R::Data>>>
where
    Error: From<E>,
{
    let data = edit(&before.data)?;
    expect.check(before.meta.version)?;
    let after = R::replace(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives a registry row (kept for history, listed with `include_archived=true`).
#[tracing::instrument(name = "registry::archive", skip_all, fields(%id))]
pub async fn archive<R: InRegistry>(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<Record<R::Data>>> {
    s.allow_known(Action::WriteRegistry).await?;
    let before = R::get(s.conn(), id).await?;
    expect.check(before.meta.version)?;
    let after = R::archive(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

// --- territorial units and their excluded localities ----------------------------------------

pub struct TerritorialUnits;

impl InRegistry for TerritorialUnits {
    type Data = TerritorialUnitData;
    async fn get(conn: &impl Conn, id: Uuid) -> Result<TerritorialUnit, StoreError> {
        units::get(conn, id).await
    }
    async fn insert(tx: &WriteTx, data: TerritorialUnitData) -> Result<TerritorialUnit, StoreError> {
        units::create(tx, data).await
    }
    async fn replace(tx: &WriteTx, current: &TerritorialUnit, data: TerritorialUnitData) -> Result<TerritorialUnit, StoreError> {
        units::update(tx, current, data).await
    }
    async fn archive(tx: &WriteTx, current: &TerritorialUnit) -> Result<TerritorialUnit, StoreError> {
        units::archive(tx, current).await
    }
    async fn insert_many(tx: &WriteTx, rows: Vec<TerritorialUnitData>) -> Result<Vec<TerritorialUnit>, StoreError> {
        units::create_many(tx, rows).await
    }
}

pub struct ExcludedLocalities;

impl InRegistry for ExcludedLocalities {
    type Data = ExcludedLocalityData;
    async fn get(conn: &impl Conn, id: Uuid) -> Result<ExcludedLocality, StoreError> {
        units::get_locality(conn, id).await
    }
    async fn insert(tx: &WriteTx, data: ExcludedLocalityData) -> Result<ExcludedLocality, StoreError> {
        units::create_locality(tx, data).await
    }
    async fn replace(tx: &WriteTx, current: &ExcludedLocality, data: ExcludedLocalityData) -> Result<ExcludedLocality, StoreError> {
        units::update_locality(tx, current, data).await
    }
    async fn archive(tx: &WriteTx, current: &ExcludedLocality) -> Result<ExcludedLocality, StoreError> {
        units::archive_locality(tx, current).await
    }
}

/// Adds an excluded locality to a territorial unit (404 when the unit does not exist).
#[tracing::instrument(name = "registry::create_locality", skip_all, fields(%unit_id))]
pub async fn create_locality<E>(s: &Session<'_>, unit_id: Uuid, content: impl FnOnce() -> Result<ExcludedLocalityData, E>) -> Result<ExcludedLocality>
where
    Error: From<E>,
{
    s.allow_known(Action::WriteRegistry).await?;
    units::get(s.conn(), unit_id).await?;
    Ok(units::create_locality(s.tx(), content()?).await?)
}

/// For a list of a unit's localities: 404 unless the unit exists.
pub async fn require_unit(conn: &impl Conn, id: Uuid) -> Result<()> {
    units::get(conn, id).await?;
    Ok(())
}

// --- organizations ---------------------------------------------------------------------------

pub struct Organizations;

impl InRegistry for Organizations {
    type Data = OrganizationData;
    async fn get(conn: &impl Conn, id: Uuid) -> Result<Organization, StoreError> {
        organizations::get(conn, id).await
    }
    async fn insert(tx: &WriteTx, data: OrganizationData) -> Result<Organization, StoreError> {
        organizations::create(tx, data).await
    }
    async fn replace(tx: &WriteTx, current: &Organization, data: OrganizationData) -> Result<Organization, StoreError> {
        organizations::update(tx, current, data).await
    }
    async fn archive(tx: &WriteTx, current: &Organization) -> Result<Organization, StoreError> {
        organizations::archive(tx, current).await
    }
    async fn insert_many(tx: &WriteTx, rows: Vec<OrganizationData>) -> Result<Vec<Organization>, StoreError> {
        organizations::create_many(tx, rows).await
    }
}

/// Which organizations are members of a partnership is membership data: filtering by it needs
/// a caller who reads the partnership's records (404 otherwise).
pub fn may_filter_by_partnership(who: &Principal, partnership: Uuid) -> Result<()> {
    Ok(who.authorize(Action::Read { partnership })?)
}

// --- people ----------------------------------------------------------------------------------

pub struct People;

impl InRegistry for People {
    type Data = PersonData;
    async fn get(conn: &impl Conn, id: Uuid) -> Result<Person, StoreError> {
        people::get(conn, id, None).await
    }
    async fn insert(tx: &WriteTx, data: PersonData) -> Result<Person, StoreError> {
        people::create(tx, data).await
    }
    async fn replace(tx: &WriteTx, current: &Person, data: PersonData) -> Result<Person, StoreError> {
        people::update(tx, current, data).await
    }
    async fn archive(tx: &WriteTx, current: &Person) -> Result<Person, StoreError> {
        people::archive(tx, current).await
    }
}

/// A person the caller may see: a partner only people its partnerships' records name (404
/// otherwise).
#[tracing::instrument(name = "registry::get_person", skip_all, fields(%id))]
pub async fn get_person(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<Person> {
    Ok(people::get(conn, id, who.readable_partnerships()).await?)
}

/// Changes a person: 404 unless the caller sees them, 403 unless it writes the registry and
/// may edit this person ([`Action::EditPerson`]).
#[tracing::instrument(name = "registry::update_person", skip_all, fields(%id))]
pub async fn update_person<E>(
    s: &Session<'_>,
    id: Uuid,
    expect: &Precondition,
    edit: impl FnOnce(&PersonData) -> Result<PersonData, E>,
) -> Result<Updated<Person>>
where
    Error: From<E>,
{
    let before = editable_person(s, id).await?;
    let data = edit(&before.data)?;
    expect.check(before.meta.version)?;
    let after = people::update(s.tx(), &before, data).await?;
    Ok(Updated { before, after })
}

/// Archives a person, with the checks of [`update_person`].
#[tracing::instrument(name = "registry::archive_person", skip_all, fields(%id))]
pub async fn archive_person(s: &Session<'_>, id: Uuid, expect: &Precondition) -> Result<Updated<Person>> {
    let before = editable_person(s, id).await?;
    expect.check(before.meta.version)?;
    let after = people::archive(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

async fn editable_person(s: &Session<'_>, id: Uuid) -> Result<Person> {
    let person = get_person(s.conn(), s.who(), id).await?;
    s.allow_known(Action::WriteRegistry).await?;
    let tie = people::tie(s.conn(), id, &s.who().partnerships).await?;
    s.allow_known(Action::EditPerson(tie)).await?;
    Ok(person)
}

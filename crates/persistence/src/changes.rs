//! Reading the change feed: the committed writes after a position, in commit order.

use crate::Conn;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::change;

pub type Change = change::Model;

#[derive(Debug, Default)]
pub struct Filter {
    /// Only changes after this position.
    pub after: i64,
    pub resource_type: Option<String>,
    /// `Some(ids)`: only changes of records of these partnerships (a partner's view).
    pub scope: Option<Vec<Uuid>>,
    pub limit: u64,
}

/// Up to `limit` changes after `after`, in the order they committed.
pub async fn list(conn: &impl Conn, f: &Filter) -> Result<Vec<Change>, StoreError> {
    let mut select = change::Entity::find().filter(change::Column::Position.gt(f.after));
    if let Some(resource) = &f.resource_type {
        select = select.filter(change::Column::ResourceType.eq(resource.as_str()));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(change::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    Ok(select.order_by_asc(change::Column::Position).limit(f.limit).all(conn).await?)
}

/// The last position of the feed (0 when empty).
pub async fn last_position(conn: &impl Conn) -> Result<i64, StoreError> {
    Ok(change::Entity::find()
        .select_only()
        .column_as(change::Column::Position.max(), "last")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten()
        .unwrap_or(0))
}

//! Webhook subscriptions and their outbox of deliveries. A delivery is written in the same
//! transaction as the change it announces (nothing is sent for a write that rolled back, and
//! nothing is lost when the server stops before sending); times the dispatcher compares are
//! epoch milliseconds, so that both databases compare them as numbers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000050_webhooks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhooks")
                .col(uuid("id").primary_key())
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .col(text("url"))
                .col(json("event_types"))
                .col(text("secret"))
                .col(string("owner"))
                .col(string("owner_role"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .col(uuid("id").primary_key())
                .col(uuid("webhook_id"))
                .col(big_integer("change_position"))
                .col(uuid("resource_id"))
                .col(string("event_type"))
                .col(text("payload"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(big_integer("next_attempt_at"))
                .col(big_integer_null("claimed_until"))
                .col(integer_null("last_status"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_deliveries_webhook_id")
                        .from("webhook_deliveries", "webhook_id")
                        .to("webhooks", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_webhook_deliveries_due").table("webhook_deliveries").col("status").col("next_attempt_at").take()).await?;
        m.create_index(
            Index::create().name("ix_webhook_deliveries_order").table("webhook_deliveries").col("webhook_id").col("resource_id").col("change_position").take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("webhook_deliveries").take()).await?;
        m.drop_table(Table::drop().table("webhooks").take()).await
    }
}

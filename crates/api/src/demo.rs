//! Demo dataset.
pub async fn load_if_empty(_store: &persistence::Store) -> anyhow::Result<()> { Ok(()) }

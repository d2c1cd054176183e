//! Per-request facts that errors and audit entries need without threading them through
//! every call: the request id and the path, held in a task-local for the request's future.

use std::future::Future;

#[derive(Clone, Debug)]
pub struct RequestInfo {
    pub id: String,
    pub path: String,
    /// Signs the cursors of the lists this request reads.
    pub cursor_key: persistence::page::CursorKey,
}

tokio::task_local! {
    static REQUEST: RequestInfo;
}

/// Runs `fut` with `info` as the current request.
pub async fn scope<F: Future>(info: RequestInfo, fut: F) -> F::Output {
    REQUEST.scope(info, fut).await
}

/// The current request id (`-` outside a request, e.g. while loading the demo data).
pub fn request_id() -> String {
    REQUEST.try_with(|r| r.id.clone()).unwrap_or_else(|_| "-".to_owned())
}

pub fn request_path() -> Option<String> {
    REQUEST.try_with(|r| r.path.clone()).ok()
}

/// The key that signs cursors (the default, all zeros, outside a request).
pub fn cursor_key() -> persistence::page::CursorKey {
    REQUEST.try_with(|r| r.cursor_key).unwrap_or_default()
}

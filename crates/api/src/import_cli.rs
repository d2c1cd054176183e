//! `inclusion import FILE --resource organizations`: uploads a CSV or JSON file to a running
//! server's `/api/v1/imports/<resource>`, shows progress on a terminal, and prints the report
//! (counts, then each refused row). The exit status is 0 only when no row failed.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// What `inclusion import` was asked.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The file: `.json` is sent as application/json, anything else as text/csv.
    pub file: PathBuf,
    /// `territorial-units`, `organizations`, `people`, `partnerships`, `memberships`,
    /// `working-groups`, `meetings`, `measures`, `progress-reports`, `calls` or `projects`.
    #[arg(long)]
    pub resource: String,
    /// Check every row as a real import would, then roll everything back.
    #[arg(long)]
    pub dry_run: bool,
    /// `atomic` (all rows or none) or `per_row`.
    #[arg(long, default_value = "atomic")]
    pub mode: String,
    /// `upsert`, `create` or `update`.
    #[arg(long, default_value = "upsert")]
    pub strategy: String,
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// A bearer token (or set INCLUSION_TOKEN).
    #[arg(long, env = "INCLUSION_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// Uploads the file and prints the report; returns the process's exit status.
pub async fn run(args: ImportArgs) -> anyhow::Result<i32> {
    let body = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let is_json = args.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let content_type = if is_json { "application/json" } else { "text/csv; charset=utf-8" };
    let url = format!(
        "{}/api/v1/imports/{}?dry_run={}&mode={}&strategy={}",
        args.server.trim_end_matches('/'),
        args.resource,
        args.dry_run,
        args.mode,
        args.strategy
    );

    let spinner = ProgressBar::new_spinner();
    spinner.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").unwrap_or_else(|_| ProgressStyle::default_spinner()));
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner.set_message(format!("uploading {} ({} bytes) and waiting for the report", args.file.display(), body.len()));
    let sent = reqwest::Client::new().post(&url).bearer_auth(&args.token).header("content-type", content_type).body(body).send().await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            spinner.finish_and_clear();
            return Err(e).with_context(|| format!("sending the import to {url}"));
        }
    };
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    spinner.finish_and_clear();
    let report: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if !status.is_success() {
        eprintln!("the import was refused ({status}): {}", report.get("detail").and_then(Value::as_str).unwrap_or(&report.to_string()));
        for e in report.get("errors").and_then(Value::as_array).into_iter().flatten() {
            eprintln!("  {}: {} ({})", e["field"].as_str().unwrap_or("-"), e["message"].as_str().unwrap_or_default(), e["code"].as_str().unwrap_or_default());
        }
        return Ok(2);
    }
    print!("{}", render(&report));
    Ok(if report["failed"].as_u64() == Some(0) { 0 } else { 1 })
}

/// The report as text: one summary line, then a line per refused row's reason.
fn render(r: &Value) -> String {
    let n = |k: &str| r[k].as_u64().unwrap_or(0);
    let kept = if r["dry_run"] == true {
        "dry run: nothing kept"
    } else if r["committed"] == true {
        "committed"
    } else {
        "rolled back: nothing kept"
    };
    let mut out = format!(
        "import {} of {} ({}, {}): {} rows: {} created, {} updated, {} unchanged, {} failed; {kept}\n",
        r["id"].as_str().unwrap_or("?"),
        r["resource"].as_str().unwrap_or("?"),
        r["mode"].as_str().unwrap_or("?"),
        r["strategy"].as_str().unwrap_or("?"),
        n("rows"),
        n("created"),
        n("updated"),
        n("unchanged"),
        n("failed"),
    );
    for e in r["errors"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  row {}{}: {}{} ({})\n",
            e["row"],
            e["external_ref"].as_str().map(|x| format!(" [{x}]")).unwrap_or_default(),
            e["field"].as_str().map(|f| format!("{f}: ")).unwrap_or_default(),
            e["message"].as_str().unwrap_or_default(),
            e["code"].as_str().unwrap_or_default(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_rendered_with_each_refused_row() {
        let report = serde_json::json!({"id": "x", "resource": "organizations", "mode": "atomic", "strategy": "upsert", "dry_run": true, "committed": false,
            "rows": 2, "created": 1, "updated": 0, "unchanged": 0, "failed": 1,
            "errors": [{"row": 2, "external_ref": "O-B", "field": "ico", "code": "check_digit", "message": "IČO 00551024 has a wrong check digit"}]});
        let text = render(&report);
        assert!(text.starts_with("import x of organizations (atomic, upsert): 2 rows: 1 created, 0 updated, 0 unchanged, 1 failed; dry run"), "{text}");
        assert!(text.contains("  row 2 [O-B]: ico: IČO 00551024 has a wrong check digit (check_digit)\n"), "{text}");
    }
}

//! `/codelists`: the enumerations with their Czech and English labels.

use actix_web::http::header::{ACCEPT_LANGUAGE, CONTENT_LANGUAGE};
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors};
use crate::http::JsonBody as _;
use crate::http::{ListResponse, PageQuery};

/// One entry of a codelist.
#[derive(Serialize, ToSchema)]
pub struct CodelistEntryView {
    /// The identifier used in the API.
    pub code: &'static str,
    /// The label in the negotiated language.
    pub label: &'static str,
    pub label_cs: &'static str,
    pub label_en: &'static str,
}

/// A codelist.
#[derive(Serialize, ToSchema)]
pub struct CodelistView {
    pub name: String,
    /// `cs` or `en`, from `Accept-Language` (default `cs`).
    pub language: &'static str,
    pub entries: Vec<CodelistEntryView>,
}

/// `cs` unless the client prefers English.
fn language(req: &HttpRequest) -> &'static str {
    let header = req.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut best: Option<(&'static str, f32)> = None;
    for part in header.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
        let lang = if tag.starts_with("en") {
            "en"
        } else if tag.starts_with("cs") || tag.starts_with("sk") {
            "cs"
        } else {
            continue;
        };
        if best.is_none_or(|(_, bq)| q > bq) {
            best = Some((lang, q));
        }
    }
    best.map_or("cs", |(l, _)| l)
}

/// A codelist's name and where to read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodelistRef {
    /// e.g. `thematic_area`.
    pub name: &'static str,
    /// `/api/v1/codelists/{name}`.
    pub href: String,
}

/// The codelists, by name.
#[utoipa::path(operation_id = "list_codelists", tag = "codelists", params(PageQuery),
    responses((status = 200, description = "The codelists", body = ListResponse<CodelistRef>), ListErrors))]
#[get("/codelists")]
pub async fn names(query: web::Query<PageQuery>) -> ApiResult {
    let refs = domain::codelist::CODELISTS.iter().map(|name| CodelistRef { name, href: format!("/api/v1/codelists/{name}") }).collect();
    let page = persistence::page::in_memory(refs, "codelists", |r: &CodelistRef| r.name.to_owned(), &query.page()?)?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| r)))
}

/// One codelist, labelled in the language of `Accept-Language` (`cs` or `en`).
#[utoipa::path(operation_id = "get_codelist", tag = "codelists", params(("name" = String, Path, description = "e.g. `thematic_area`, `region`")),
    responses((status = 200, description = "The codelist", body = CodelistView), ReadErrors))]
#[get("/codelists/{name}")]
pub async fn one(req: HttpRequest, name: web::Path<String>) -> ApiResult {
    let entries = domain::codelist::codelist(&name).ok_or(ApiError::NotFound)?;
    let lang = language(&req);
    let entries = entries
        .into_iter()
        .map(|e| CodelistEntryView { code: e.code, label: if lang == "en" { e.label_en } else { e.label_cs }, label_cs: e.label_cs, label_en: e.label_en })
        .collect();
    Ok(HttpResponse::Ok().insert_header((CONTENT_LANGUAGE, lang)).insert_header(("Vary", "Accept-Language")).json_body(CodelistView {
        name: name.into_inner(),
        language: lang,
        entries,
    }))
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(names).service(one);
}

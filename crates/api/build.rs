//! The paths of the committed OpenAPI document (`openapi/openapi.json`) and the methods each
//! documents, read here, at build time, into `$OUT_DIR/documented_routes.rs` for the edge's
//! table of methods (`edge::methods`). Reading them from the compiled-in document at every
//! start touched all of its 1.6 MB, which then stayed in the server's resident memory (issue
//! 11). A unit test checks the table against the document as the server serves it.

use std::fmt::Write as _;
use std::path::PathBuf;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let document = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../openapi/openapi.json");
    println!("cargo::rerun-if-changed={}", document.display());
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("documented_routes.rs");
    // A document that does not read (a merge conflict in it, say) still builds, so that
    // `inclusion openapi` (`make openapi`) can write it anew; the server refuses to start.
    let routes = match routes(&std::fs::read_to_string(&document)?) {
        Ok(table) => format!("{table}pub const DOCUMENT_ERROR: Option<&str> = None;\n"),
        Err(e) => {
            println!("cargo::warning=openapi/openapi.json is not an OpenAPI document ({e}): run `make openapi`");
            format!("pub const DOCUMENTED: &[(&str, &[&str])] = &[];\npub const DOCUMENT_ERROR: Option<&str> = Some({:?});\n", e.to_string())
        }
    };
    std::fs::write(out, routes)?;
    Ok(())
}

/// The table of the document's paths and methods, as Rust.
fn routes(json: &str) -> Result<String, Box<dyn std::error::Error>> {
    let doc: serde_json::Value = serde_json::from_str(json)?;
    let paths = doc.get("paths").and_then(serde_json::Value::as_object).ok_or("no `paths` object")?;
    let mut out = String::from("/// The paths of the committed OpenAPI document, each with the methods it documents (build.rs).\n");
    out.push_str("pub const DOCUMENTED: &[(&str, &[&str])] = &[\n");
    // In the order of the paths, as the table was built before (equally specific matches of a
    // path, if any, go to the last).
    let paths: std::collections::BTreeMap<_, _> = paths.iter().collect();
    for (path, item) in paths {
        let methods: Vec<String> = item
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .filter(|k| METHODS.contains(&k.as_str()))
            .map(|m| format!("{:?}", m.to_ascii_uppercase()))
            .collect();
        writeln!(out, "    ({path:?}, &[{}]),", methods.join(", "))?;
    }
    out.push_str("];\n");
    Ok(out)
}

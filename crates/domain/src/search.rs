//! Text search that ignores case and Czech diacritics (`zlutice` finds `Žlutice`).
//!
//! Every searchable row stores a folded copy of its searchable text; a query is folded the
//! same way and matched as a substring. Folding in the application, not in SQL, keeps the
//! behaviour identical on SQLite and PostgreSQL.

/// Lower-cases and strips diacritics: `"Žlutice, Valeč"` → `"zlutice, valec"`.
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// Joins the searchable parts of a row into the text that is stored for searching.
pub fn search_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts.into_iter().filter(|p| !p.is_empty()).map(fold).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_czech_diacritics_and_case() {
        assert_eq!(fold("Žlutice"), "zlutice");
        assert_eq!(fold("ČLOVĚK V TÍSNI, o.p.s."), "clovek v tisni, o.p.s.");
        assert_eq!(fold("Ďáblice Ňůž Ř"), "dablice nuz r");
        assert_eq!(search_text(["Valeč", "", "Karlovarský"]), "valec karlovarsky");
    }
}

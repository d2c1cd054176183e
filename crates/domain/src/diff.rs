//! What changed between two versions of a strategic plan: goals and measures matched by
//! their code, with field-level changes.

use serde::{Deserialize, Serialize};

/// One changed field: its value before and after (as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// An item present in both versions with changed fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangedItem {
    pub code: String,
    pub changes: Vec<FieldChange>,
}

/// The differences of one kind of item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemsDiff {
    /// Codes present only in the newer version.
    pub added: Vec<String>,
    /// Codes present only in the older version.
    pub removed: Vec<String>,
    pub changed: Vec<ChangedItem>,
}

/// Compares two sets of items, each a code and its comparable fields (a JSON object whose
/// keys are field names; ids that differ between versions must be left out by the caller).
pub fn diff_items(before: &[(String, serde_json::Value)], after: &[(String, serde_json::Value)]) -> ItemsDiff {
    let mut d = ItemsDiff::default();
    for (code, _) in after {
        if !before.iter().any(|(c, _)| c == code) {
            d.added.push(code.clone());
        }
    }
    for (code, old) in before {
        match after.iter().find(|(c, _)| c == code) {
            None => d.removed.push(code.clone()),
            Some((_, new)) => {
                let empty = serde_json::Map::new();
                let (o, n) = (old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty));
                let mut fields: Vec<&String> = o.keys().chain(n.keys()).collect();
                fields.sort();
                fields.dedup();
                let changes: Vec<FieldChange> = fields
                    .into_iter()
                    .filter_map(|f| {
                        let (b, a) = (o.get(f).cloned().unwrap_or_default(), n.get(f).cloned().unwrap_or_default());
                        (b != a).then(|| FieldChange { field: f.clone(), before: b, after: a })
                    })
                    .collect();
                if !changes.is_empty() {
                    d.changed.push(ChangedItem { code: code.clone(), changes });
                }
            }
        }
    }
    d.added.sort();
    d.removed.sort();
    d.changed.sort_by(|a, b| a.code.cmp(&b.code));
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn added_removed_and_changed_by_code() {
        let before = vec![("1.1".to_owned(), json!({"title": "A", "deadline": "2020-01-01"})), ("1.2".to_owned(), json!({"title": "B"}))];
        let after = vec![("1.1".to_owned(), json!({"title": "A", "deadline": "2021-01-01"})), ("1.3".to_owned(), json!({"title": "C"}))];
        let d = diff_items(&before, &after);
        assert_eq!(d.added, ["1.3"]);
        assert_eq!(d.removed, ["1.2"]);
        assert_eq!(
            d.changed,
            vec![ChangedItem {
                code: "1.1".into(),
                changes: vec![FieldChange { field: "deadline".into(), before: json!("2020-01-01"), after: json!("2021-01-01") }]
            }]
        );
        assert_eq!(diff_items(&before, &before), ItemsDiff::default());
    }
}

//! JSON Schemas of the KB files and of `rdperr --json`, generated from the Rust types so they cannot drift. Editors with
//! Taplo or Even Better TOML read them through each file's `#:schema` first line.

use crate::model::{CodeTable, Entry};

/// The schema of an entry file (`kb/<area>/<id>.toml`), pretty-printed.
pub fn entry_schema() -> String {
    pretty(schemars::schema_for!(Entry))
}

/// The schema of a code table (`kb/codes/<namespace>.toml`), pretty-printed.
pub fn code_table_schema() -> String {
    pretty(schemars::schema_for!(CodeTable))
}

/// The schema of `rdperr export` (the whole KB as one JSON document), pretty-printed.
pub fn export_schema() -> String {
    pretty(schemars::schema_for!(crate::docs::Export<'static>))
}

/// The schema of `rdperr --json` for a lookup (matches, suggestions, scope, codes, commands),
/// pretty-printed.
pub fn lookup_schema() -> String {
    pretty(schemars::schema_for!(
        crate::render::LookupDocument<'static>
    ))
}

/// The schema of `rdperr probe --json` (the probe's report), pretty-printed.
pub fn probe_schema() -> String {
    pretty(schemars::schema_for!(crate::probe::ProbeReport))
}

fn pretty(schema: schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

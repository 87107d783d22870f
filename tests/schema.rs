//! The committed JSON Schemas under kb/schema/ match the Rust types. To refresh them after a
//! change to the model: `RDPERR_UPDATE_SCHEMA=1 cargo test --test schema`.

use std::path::Path;

fn check(file: &str, generated: String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("kb/schema")
        .join(file);
    if std::env::var_os("RDPERR_UPDATE_SCHEMA").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `RDPERR_UPDATE_SCHEMA=1 cargo test --test schema` and commit it",
        path.display()
    );
}

#[test]
fn entry_schema_is_current() {
    check("entry.schema.json", rdperr::schema::entry_schema());
}

#[test]
fn code_table_schema_is_current() {
    check("codes.schema.json", rdperr::schema::code_table_schema());
}

#[test]
fn lookup_schema_is_current() {
    check("lookup.schema.json", rdperr::schema::lookup_schema());
}

#[test]
fn probe_schema_is_current() {
    check("probe.schema.json", rdperr::schema::probe_schema());
}

#[test]
fn export_schema_is_current() {
    check("export.schema.json", rdperr::schema::export_schema());
}

#[test]
fn every_kb_file_names_its_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("kb");
    for area in ["rdp", "entra", "codes"] {
        let want = if area == "codes" {
            "#:schema ../schema/codes.schema.json"
        } else {
            "#:schema ../schema/entry.schema.json"
        };
        for item in std::fs::read_dir(root.join(area)).unwrap() {
            let path = item.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text.lines().next(), Some(want), "{}", path.display());
        }
    }
}

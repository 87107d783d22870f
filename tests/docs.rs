//! The generated docs: stable, complete, with no broken internal link.

use rdperr::docs::{generate, DocFile};
use rdperr::Kb;
use std::collections::{HashMap, HashSet};

fn files() -> Vec<DocFile> {
    generate(Kb::embedded())
}

fn by_path(files: &[DocFile]) -> HashMap<&str, &str> {
    files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect()
}

#[test]
fn generation_is_byte_identical_across_runs() {
    assert_eq!(files(), files());
}

#[test]
fn every_entry_and_code_table_is_reachable_from_the_summary() {
    let files = files();
    let map = by_path(&files);
    let summary = map["src/SUMMARY.md"];
    for e in Kb::embedded().entries() {
        let page = format!("errors/{}.md", e.id);
        assert!(
            summary.contains(&format!("]({page})")),
            "{page} not in SUMMARY.md"
        );
        assert!(map.contains_key(format!("src/{page}").as_str()));
    }
    for t in Kb::embedded().tables() {
        assert!(
            summary.contains(&format!("](codes/{}.md)", t.namespace)),
            "{}",
            t.namespace
        );
    }
}

/// Relative markdown links: `](target.md#anchor)`.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            let target = &rest[..end];
            if !target.starts_with("http") && !target.starts_with('<') {
                out.push(target.to_string());
            }
            rest = &rest[end..];
        }
    }
    out
}

fn anchors(text: &str) -> HashSet<String> {
    text.split("<a id=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

fn resolve(from: &str, target: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in target.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[test]
fn every_internal_link_resolves_to_a_file_and_anchor() {
    let files = files();
    let map = by_path(&files);
    let mut broken = Vec::new();
    for f in files.iter().filter(|f| f.path.ends_with(".md")) {
        for target in links(&f.text) {
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let path = resolve(&f.path, file);
            match map.get(path.as_str()) {
                None => broken.push(format!("{}: {target}", f.path)),
                Some(text) if !anchor.is_empty() && !anchors(text).contains(anchor) => {
                    broken.push(format!("{}: {target} (no anchor)", f.path))
                }
                _ => {}
            }
        }
    }
    assert!(
        broken.is_empty(),
        "{} broken links:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

#[test]
fn legacy_anchors_are_kept() {
    let files = files();
    let page = by_path(&files)["src/troubleshoot-specific-rdp-errors.md"];
    for anchor in ["rdplicense", "rdpname", "rdpauth", "wincred", "rdpconnect"] {
        assert!(anchors(page).contains(anchor), "{anchor}");
    }
}

#[test]
fn pages_snapshot() {
    let files = files();
    let map = by_path(&files);
    for path in [
        "src/SUMMARY.md",
        "src/troubleshoot-specific-rdp-errors.md",
        "src/errors/rdp-credentials-rejected.md",
        "src/errors/rdp-name-not-found.md",
        "src/errors/entra-unauthorized-client.md",
    ] {
        insta::assert_snapshot!(path.replace('/', "__"), map[path]);
    }
}

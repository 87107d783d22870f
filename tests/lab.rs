//! Replays the lab's captures (tests/lab/*.txt): what real clients and servers printed when a
//! failure was staged on 127.0.0.1 by `lab/run`. Each capture names, in its header, the entry
//! that explains it; the matcher must answer that entry first. No package is needed here: the
//! captures are files.

use std::path::PathBuf;

/// A capture file: its header fields and the raw output below `# ---`.
struct Capture {
    path: String,
    scenario: String,
    expect: String,
    body: String,
}

fn read_capture(path: &PathBuf) -> Result<Capture, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let (head, body) = text
        .split_once("\n# ---\n")
        .ok_or_else(|| format!("{name}: no `# ---` line between header and output"))?;
    if !head.starts_with("# rdperr lab capture") {
        return Err(format!("{name}:1: not a lab capture header"));
    }
    let field = |key: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("# {key}:")))
            .map(|v| v.trim().to_string())
            .ok_or_else(|| format!("{name}: header has no `{key}:` line"))
    };
    for key in ["client", "server", "config", "command", "exit"] {
        field(key)?;
    }
    Ok(Capture {
        path: name.clone(),
        scenario: field("scenario")?,
        expect: field("expect")?,
        body: body.to_string(),
    })
}

fn captures() -> Vec<Capture> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lab");
    let Ok(items) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = items
        .flatten()
        .map(|i| i.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| read_capture(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn every_capture_resolves_to_its_entry_first() {
    let kb = rdperr::Kb::embedded();
    let mut wrong = Vec::new();
    let mut scored = 0;
    for c in captures() {
        // A failure the KB has no entry for yet is listed, not scored.
        if let Some(slug) = c.expect.strip_prefix("missing:") {
            eprintln!("{}: no entry yet for {slug}", c.path);
            continue;
        }
        // `none`: the output names no cause (xrdp shows a failed login inside its window), and
        // a confident answer would be a wrong one.
        if c.expect == "none" {
            scored += 1;
            let found = kb.lookup(&c.body);
            if let Some(m) = found.matches.first() {
                wrong.push(format!(
                    "{} [{}]: expected no match, got {} at {:.2}",
                    c.path, c.scenario, m.id, m.confidence
                ));
            }
            continue;
        }
        assert!(
            kb.get(&c.expect).is_some(),
            "{}: expect names no entry: {}",
            c.path,
            c.expect
        );
        scored += 1;
        let found = kb.lookup(&c.body);
        let got: Vec<&str> = found
            .matches
            .iter()
            .take(3)
            .map(|m| m.id.as_str())
            .collect();
        if got.first() != Some(&c.expect.as_str()) {
            wrong.push(format!(
                "{} [{}]: expected {}, got {:?}",
                c.path, c.scenario, c.expect, got
            ));
        }
    }
    // The goal is every capture; this floor is what the matcher reaches today, so a change
    // that loses a capture fails here. Raise it as captures are won.
    let right = scored - wrong.len();
    assert!(
        right as f64 >= LAB_FLOOR * scored as f64,
        "{} of {scored} captures answered wrong (floor {LAB_FLOOR}):\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    if !wrong.is_empty() {
        eprintln!(
            "{} of {scored} captures answered wrong:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
}

/// The share of captures that must resolve to their entry first.
const LAB_FLOOR: f64 = 0.85;

#[test]
fn a_capture_without_its_header_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.txt");
    std::fs::write(&path, "just output\n").unwrap();
    let err = read_capture(&path).err().unwrap();
    assert!(err.contains("no `# ---` line"), "{err}");
    std::fs::write(&path, "# rdperr lab capture\n# scenario: s\n# ---\nout\n").unwrap();
    let err = read_capture(&path).err().unwrap();
    assert!(err.contains("no `client:` line"), "{err}");
}

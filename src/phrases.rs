//! Exact evidence from text: known wordings found verbatim (aho-corasick over the normalised
//! query) and the entries' own regular expressions (which may capture names for commands).

use crate::model::Entry;
use crate::normalize::normalize;
use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Names any dialog may show, whatever the entry: `DOMAIN\user` (or `AzureAD\upn`) and a
/// quoted computer name after "computer". Entry patterns may capture more.
static GENERAL_CAPTURES: std::sync::LazyLock<Vec<Regex>> = std::sync::LazyLock::new(|| {
    [
        r#"(?i)\bcomputer\s+"(?P<computer>[A-Za-z0-9][A-Za-z0-9.\-]{0,252})""#,
        r"(?P<domain>\b[A-Za-z][A-Za-z0-9\-]{0,14})\\(?P<user>[A-Za-z0-9][A-Za-z0-9._@\-]{0,63})\b",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("static regex"))
    .collect()
});

fn general_captures(raw: &str, out: &mut BTreeMap<String, String>) {
    for re in GENERAL_CAPTURES.iter() {
        if let Some(caps) = re.captures(raw) {
            for name in re.capture_names().flatten() {
                if let Some(m) = caps.name(name) {
                    out.entry(name.to_string())
                        .or_insert_with(|| m.as_str().to_string());
                }
            }
        }
    }
    // The placeholder {user} takes the whole DOMAIN\user form.
    if let (Some(d), Some(u)) = (out.get("domain").cloned(), out.get("user").cloned()) {
        if !u.contains('\\') {
            out.insert("user".into(), format!("{d}\\{u}"));
        }
    }
}

/// Segments shorter than this (in words) are too common to count as a phrase on their own.
pub(crate) const MIN_SEGMENT_WORDS: usize = 3;

#[derive(Debug)]
pub(crate) struct PhraseFinder {
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern: (entry index, phrase index in `rank::Prepared`).
    owners: Vec<Vec<(usize, usize)>>,
    /// (entry, phrase) -> every placeholder-free part of a wording that must be found whole:
    /// a client's string is printed whole, so all of its parts are in a paste of it, not only
    /// the longest ("Private key <value> and certificate <value> do not match" is not any
    /// text with "do not match" in it).
    parts: HashMap<(usize, usize), Vec<String>>,
    patterns: Vec<Vec<Regex>>,
}

/// A wording to find, and whether all its parts must be there (a client's string) or its
/// longest part is enough (a dialog people quote in part).
pub(crate) struct Wording<'a> {
    pub text: &'a str,
    pub whole: bool,
}

/// What the exact search found.
#[derive(Debug, Default)]
pub(crate) struct ExactHits {
    /// Entry index -> phrase indexes found whole.
    pub phrases: HashMap<usize, HashSet<usize>>,
    /// Entry index -> the pattern that matched.
    pub patterns: HashMap<usize, String>,
    /// Named captures of matching patterns (computer, user, domain ...).
    pub captures: BTreeMap<String, String>,
}

/// True when `part` stands in `text` as whole words.
fn has_words(text: &str, part: &str) -> bool {
    memchr::memmem::find_iter(text.as_bytes(), part.as_bytes()).any(|i| {
        let end = i + part.len();
        (i == 0 || text.as_bytes()[i - 1] == b' ')
            && (end == text.len() || text.as_bytes()[end] == b' ')
    })
}

/// The parts of a wording between its `<placeholders>`, normalised. A word glued to a
/// placeholder ("0x<value>", "<value>ms") is only the start or end of a printed word
/// ("0x1F", "500ms"), so it is left out of its part.
pub(crate) fn literal_parts(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    let mut glued_left = false;
    loop {
        let (literal, after) = match rest.find('<') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let glued_right = after.is_some() && literal.ends_with(|c: char| !c.is_whitespace());
        let mut words: Vec<&str> = literal.split_whitespace().collect();
        if glued_right {
            words.pop();
        }
        if glued_left && !literal.starts_with(char::is_whitespace) && !words.is_empty() {
            words.remove(0);
        }
        let part = normalize(&words.join(" "));
        if !part.is_empty() {
            parts.push(part);
        }
        let Some(after) = after else { break };
        // Skip the placeholder itself; an unclosed `<` is text.
        match after.find('>') {
            Some(end) => {
                rest = &after[end + 1..];
                glued_left = true;
            }
            None => {
                let part = normalize(after);
                if !part.is_empty() {
                    parts.push(part);
                }
                break;
            }
        }
    }
    parts
}

impl PhraseFinder {
    /// `wordings[e]` lists entry `e`'s wordings in the order `rank::Prepared` numbers them.
    pub fn build(entries: &[Arc<Entry>], wordings: &[Vec<Wording<'_>>]) -> PhraseFinder {
        let mut segment_owner: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
        let mut parts = HashMap::new();
        for (e, list) in wordings.iter().enumerate() {
            for (p, wording) in list.iter().enumerate() {
                // A wording counts as found when its longest placeholder-free part is; parts
                // between placeholders are what a dialog prints around a name.
                let segments = literal_parts(wording.text);
                let Some(longest) = segments.iter().max_by_key(|s| s.split(' ').count()) else {
                    continue;
                };
                if longest.split(' ').count() >= MIN_SEGMENT_WORDS {
                    segment_owner
                        .entry(longest.clone())
                        .or_default()
                        .push((e, p));
                    if wording.whole && segments.len() > 1 {
                        parts.insert((e, p), segments);
                    }
                }
            }
        }
        let (segments, owners): (Vec<String>, Vec<_>) = segment_owner.into_iter().unzip();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&segments)
            .ok();
        let patterns = entries
            .iter()
            .map(|e| {
                e.patterns
                    .iter()
                    .filter_map(|p| Regex::new(p).ok())
                    .collect()
            })
            .collect();
        PhraseFinder {
            automaton,
            owners,
            parts,
            patterns,
        }
    }

    /// Wordings that contain `fragment` (normalised) as whole words: what a user quoted from
    /// a dialog, or typed in part. Returns (entry, phrase, share of the wording's words).
    ///
    /// Only `entries` are searched: the candidates the index and the exact search proposed,
    /// so the cost does not grow with the size of the KB.
    pub fn containing(
        &self,
        fragment: &str,
        entries: &std::collections::HashSet<usize>,
        prepared: &crate::rank::Prepared,
    ) -> Vec<(usize, usize, f32)> {
        let words = fragment.split(' ').count() as f32;
        let mut out = Vec::new();
        if fragment.is_empty() {
            return out;
        }
        let finder = memchr::memmem::Finder::new(fragment.as_bytes());
        let mut sorted: Vec<usize> = entries.iter().copied().collect();
        sorted.sort_unstable();
        for e in sorted {
            let Some(list) = prepared.phrases.get(e) else {
                continue;
            };
            for (p, text) in list.iter().map(|phrase| &phrase.normalized).enumerate() {
                let whole_word = finder.find_iter(text.as_bytes()).any(|i| {
                    let end = i + fragment.len();
                    (i == 0 || text.as_bytes()[i - 1] == b' ')
                        && (end == text.len() || text.as_bytes()[end] == b' ')
                });
                if whole_word {
                    let share = (words / text.split(' ').count() as f32).min(1.0);
                    out.push((e, p, share));
                }
            }
        }
        out
    }

    pub fn find(&self, raw: &str, normalized: &str) -> ExactHits {
        let mut hits = ExactHits::default();
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(normalized) {
                // Whole words only: "access is denied" must not match inside "xaccess is denied".
                let start_ok = m.start() == 0 || normalized.as_bytes()[m.start() - 1] == b' ';
                let end_ok = m.end() == normalized.len() || normalized.as_bytes()[m.end()] == b' ';
                if start_ok && end_ok {
                    for &(e, p) in &self.owners[m.pattern().as_usize()] {
                        let whole = self.parts.get(&(e, p)).is_none_or(|parts| {
                            parts.iter().all(|part| has_words(normalized, part))
                        });
                        if whole {
                            hits.phrases.entry(e).or_default().insert(p);
                        }
                    }
                }
            }
        }
        general_captures(raw, &mut hits.captures);
        for (e, regexes) in self.patterns.iter().enumerate() {
            for re in regexes {
                if let Some(caps) = re.captures(raw) {
                    hits.patterns
                        .entry(e)
                        .or_insert_with(|| re.as_str().to_string());
                    for name in re.capture_names().flatten() {
                        if let Some(m) = caps.name(name) {
                            hits.captures
                                .entry(name.to_string())
                                .or_insert_with(|| m.as_str().trim().to_string());
                        }
                    }
                }
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::literal_parts;

    #[test]
    fn parts_leave_out_words_glued_to_a_value() {
        assert_eq!(
            literal_parts("iso_connect(), expected ISO_PDU_CC, got 0x<value>"),
            ["iso connect expected iso pdu cc got"]
        );
        assert_eq!(
            literal_parts("ConnectLayer <value>:<value> [<value>ms] failed"),
            ["connectlayer", "failed"]
        );
        assert_eq!(
            literal_parts("Can't find the computer \"<computer>\". This might mean"),
            ["can not find the computer", "this might mean"]
        );
        assert_eq!(literal_parts("a < b"), ["a", "b"]);
    }
}

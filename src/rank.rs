//! Ranking: turning evidence (codes, exact phrases, fuzzy terms, patterns) into one confidence
//! per entry.
//!
//! tantivy scores every fuzzy hit alike, so the order comes from here. Each entry's wordings
//! (messages, title, keywords) are scored as phrases: how much of the phrase's weight (IDF over
//! the KB) the query contains, whether the words stand in the phrase's order, and, for short
//! phrases, how much of the query they explain. Typos cost a little; unknown words cost
//! nothing unless the phrase is too short to stand on its own.

use crate::model::{Entry, Role};
use crate::normalize::{
    is_code_like, is_domain_word, is_stopword, normalize, tokens_of_normalized, typo_budget, Token,
};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Why an entry matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// A code in the query belongs to this entry.
    Code {
        /// The code as written in the query.
        code: String,
        namespace: crate::model::Namespace,
        display: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// One of the entry's wordings appears in the query word for word.
    Phrase {
        phrase: String,
        /// The client or server that prints this wording (`freerdp`, `xrdp` ...), when it is
        /// one of the strings harvested from a client's source.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
        /// The language of the wording (`de-DE`), when it is a translation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<String>,
    },
    /// Words of one of the entry's wordings appear in the query, some perhaps mistyped.
    Terms {
        phrase: String,
        matched: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        typos: Vec<Typo>,
        /// The language of the wording (`de-DE`), when it is a translation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<String>,
    },
    /// What the user quoted (or a short query as a whole) appears inside one of the entry's
    /// wordings.
    Fragment { fragment: String, phrase: String },
    /// One of the entry's regular expressions matched.
    Pattern { pattern: String },
    /// A line of the same paste that shows only a generic consequence of the failure
    /// ("ERRCONNECT_CONNECT_TRANSPORT_FAILED"): kept to show it was seen and outranked.
    Consequence { line: usize, text: String },
}

/// A mistyped word and what it was taken for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Typo {
    pub typed: String,
    pub read_as: String,
    pub distance: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhraseKind {
    Message,
    Title,
    Keyword,
    /// A symptom or circumstance people tell in their own words (`symptoms`): a paraphrase,
    /// scored like a keyword.
    Symptom,
    /// A string a client or server prints, harvested from its source (`kb/clients/`).
    Client,
}

impl PhraseKind {
    /// Our words for what people say (a keyword, a symptom), not a wording a program prints.
    pub fn is_paraphrase(self) -> bool {
        matches!(self, PhraseKind::Keyword | PhraseKind::Symptom)
    }
}

/// A client's string that is a wording of an entry, as the scorer takes it.
#[derive(Debug, Clone)]
pub(crate) struct ClientWording {
    pub text: String,
    pub client: String,
    pub role: Role,
}

/// A wording of an entry, tokenised once at start-up.
#[derive(Debug)]
pub(crate) struct Phrase {
    pub text: String,
    /// `text` without its placeholders, normalised once here for every later use (exact
    /// search, fragments, the index).
    pub normalized: String,
    pub kind: PhraseKind,
    /// A wording in another language.
    pub localized: bool,
    /// Its language tag (`de-DE`), for a wording in another language.
    pub lang: Option<String>,
    /// The client that prints it, for a harvested client string.
    pub client: Option<String>,
    /// Whether the wording names a cause or a generic consequence.
    pub role: Role,
    /// Content words (stems), in order, with their unstemmed form.
    pub words: Vec<(String, String)>,
}

/// Everything the scorer needs about the KB, computed once.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub phrases: Vec<Vec<Phrase>>,
    /// Stems of each entry's wordings.
    pub vocab: Vec<HashSet<String>>,
    pub idf: HashMap<String, f32>,
    /// Stems found only in wordings of other languages: a query made of them is not English
    /// the KB understands.
    pub localized_only: HashSet<String>,
    /// Unstemmed KB words grouped by length, for typo matching: word -> stem.
    pub words_by_len: HashMap<usize, Vec<(String, String)>>,
    pub max_idf: f32,
    /// Phrase weight at which a phrase stands on its own, whatever else the query says.
    pub full_info: f32,
}

/// Strips `<placeholders>` from a KB wording; they stand for names, not words.
fn without_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '<' => {
                depth += 1;
                out.push(' ');
            }
            '>' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn content_words(text: &str) -> Vec<(String, String)> {
    content_words_of_normalized(&normalize(&without_placeholders(text)))
}

fn content_words_of_normalized(normalized: &str) -> Vec<(String, String)> {
    tokens_of_normalized(normalized)
        .into_iter()
        // Codes stay: a keyword "error code 0x204" must not match every "error code".
        .filter(|t| !is_stopword(&t.word))
        .map(|t| (t.stem, t.word))
        .collect()
}

impl Prepared {
    /// `clients[e]` lists the harvested client strings that are wordings of entry `e`.
    pub fn build(entries: &[Arc<Entry>], clients: &[Vec<ClientWording>]) -> Prepared {
        let mut phrases = Vec::with_capacity(entries.len());
        let mut vocab = Vec::with_capacity(entries.len());
        let mut df: HashMap<String, usize> = HashMap::default();
        let mut df_localized: HashMap<String, usize> = HashMap::default();
        let mut words: HashMap<String, String> = HashMap::default();
        for (e, entry) in entries.iter().enumerate() {
            let mut list = Vec::new();
            let mut add = |text: &str, kind, lang: Option<&str>, client: Option<&ClientWording>| {
                let normalized = normalize(&without_placeholders(text));
                let w = content_words_of_normalized(&normalized);
                if !w.is_empty() {
                    list.push(Phrase {
                        text: text.to_string(),
                        normalized,
                        kind,
                        localized: lang.is_some(),
                        lang: lang.map(str::to_string),
                        client: client.map(|c| c.client.clone()),
                        role: client.map_or(Role::Cause, |c| c.role),
                        words: w,
                    });
                }
            };
            add(&entry.title, PhraseKind::Title, None, None);
            for m in &entry.messages {
                add(m, PhraseKind::Message, None, None);
            }
            for l in &entry.localized {
                add(&l.text, PhraseKind::Message, Some(&l.lang), None);
                // Each sentence of a translated dialog stands on its own too: a translated page
                // and the real dialog often differ in one sentence, and people quote one.
                let sentences: Vec<&str> = l
                    .text
                    .split(['。', '．', '！', '？', '.', '!', '?'])
                    .map(str::trim)
                    .filter(|t| normalize(t).split(' ').count() >= MIN_SENTENCE_WORDS)
                    .collect();
                if sentences.len() > 1 {
                    for sentence in sentences {
                        add(sentence, PhraseKind::Message, Some(&l.lang), None);
                    }
                }
            }
            for k in &entry.keywords {
                add(k, PhraseKind::Keyword, None, None);
            }
            for k in &entry.symptoms {
                add(k, PhraseKind::Symptom, None, None);
            }
            for c in clients.get(e).into_iter().flatten() {
                add(&c.text, PhraseKind::Client, None, Some(c));
            }
            // A client's strings are evidence when a query contains most of one, but they do
            // not widen the entry's vocabulary or change how rare a word is: hundreds of log
            // strings would otherwise make every entry that has them match any log.
            let own = || list.iter().filter(|p| p.kind != PhraseKind::Client);
            let v: HashSet<String> = own()
                .flat_map(|p| p.words.iter().map(|(s, _)| s.clone()))
                .collect();
            for p in own() {
                for (stem, word) in &p.words {
                    words.entry(word.clone()).or_insert_with(|| stem.clone());
                }
            }
            // How rare an English word is comes from the English wordings only, and a word
            // of another language from the wordings in other languages: adding a translation
            // must not change how much "error" says in English.
            let english: HashSet<&String> = own()
                .filter(|p| !p.localized)
                .flat_map(|p| p.words.iter().map(|(s, _)| s))
                .collect();
            for s in &english {
                *df.entry((*s).clone()).or_default() += 1;
            }
            let foreign: HashSet<&String> = own()
                .filter(|p| p.localized)
                .flat_map(|p| p.words.iter().map(|(s, _)| s))
                .filter(|s| !english.contains(s))
                .collect();
            for s in foreign {
                *df_localized.entry(s.clone()).or_default() += 1;
            }
            phrases.push(list);
            vocab.push(v);
        }
        let stems_of = |localized: bool| -> HashSet<&String> {
            phrases
                .iter()
                .flatten()
                .filter(|p: &&Phrase| p.localized == localized)
                .flat_map(|p| p.words.iter().map(|(s, _)| s))
                .collect()
        };
        let english = stems_of(false);
        let localized_only: HashSet<String> = stems_of(true)
            .into_iter()
            .filter(|s| !english.contains(s))
            .cloned()
            .collect();
        let n = entries.len().max(1) as f32;
        let mut idf: HashMap<String, f32> = HashMap::default();
        for (s, d) in df_localized {
            idf.insert(s, (1.0 + n / d as f32).ln());
        }
        for (s, d) in df {
            idf.insert(s, (1.0 + n / d as f32).ln());
        }
        let max_idf = (1.0 + n).ln();
        // Words only a client's strings use are known (a query's word must hit them), and as
        // rare as a word one entry uses.
        for p in phrases.iter().flatten() {
            if p.kind == PhraseKind::Client {
                for (stem, _) in &p.words {
                    idf.entry(stem.clone()).or_insert(max_idf);
                }
            }
        }
        let mut words_by_len: HashMap<usize, Vec<(String, String)>> = HashMap::default();
        for (word, stem) in words {
            words_by_len
                .entry(word.chars().count())
                .or_default()
                .push((word, stem));
        }
        for list in words_by_len.values_mut() {
            list.sort();
        }
        Prepared {
            phrases,
            vocab,
            idf,
            localized_only,
            words_by_len,
            max_idf,
            // About three rare words: "Local Security Authority" stands on its own, "Access
            // is denied" does not.
            full_info: 3.0 * max_idf * 0.75,
        }
    }

    fn idf(&self, stem: &str) -> f32 {
        self.idf.get(stem).copied().unwrap_or(self.max_idf)
    }
}

/// Where the query's words land in the KB vocabulary.
#[derive(Debug, Default)]
pub(crate) struct QueryTerms {
    /// KB stem -> the query positions that match it (ascending), with the typo distance and
    /// the word as typed.
    hits: HashMap<String, Vec<(usize, u8, String)>>,
    /// Distinct content words of the query (stem, word).
    content: Vec<(String, String)>,
    /// Query word -> the KB stems it matched (itself, or typo neighbours).
    word_hits: HashMap<String, Vec<String>>,
    /// Query words the KB does not know at all (likely typos or names), by position.
    unknown: HashMap<usize, String>,
    /// KB stem -> the query positions that match it, ascending (from `hits`).
    positions: HashMap<String, Vec<usize>>,
}

/// Words (or character pairs) a sentence of a translated wording needs to be scored on its own.
const MIN_SENTENCE_WORDS: usize = 4;

/// How much word order counts for a keyword (0.4 for a dialog's wording).
const KEYWORD_ORDER_WEIGHT: f32 = 0.2;

/// Distinct unknown words fuzzed per query; a whole pasted log does not need more.
const MAX_FUZZED_WORDS: usize = 400;

impl QueryTerms {
    pub fn new(query_tokens: &[Token], prepared: &Prepared) -> QueryTerms {
        let mut terms = QueryTerms::default();
        let mut fuzzed: HashMap<&str, Vec<(String, u8)>> = HashMap::default();
        let mut seen_content: HashSet<&str> = HashSet::default();
        for t in query_tokens {
            if is_code_like(&t.word) && !prepared.idf.contains_key(&t.stem) {
                continue;
            }
            if !is_stopword(&t.word) && seen_content.insert(&t.stem) {
                terms.content.push((t.stem.clone(), t.word.clone()));
            }
            if prepared.idf.contains_key(&t.stem) {
                terms.hit(&t.stem, t, 0);
                continue;
            }
            let budget = typo_budget(&t.word);
            if budget == 0 || is_stopword(&t.word) {
                if !is_stopword(&t.word) && !is_code_like(&t.word) {
                    terms.unknown.insert(t.position, t.word.clone());
                }
                continue;
            }
            if !fuzzed.contains_key(t.word.as_str()) {
                if fuzzed.len() >= MAX_FUZZED_WORDS {
                    continue;
                }
                fuzzed.insert(&t.word, fuzzy_neighbours(&t.word, budget, prepared));
            }
            if fuzzed[t.word.as_str()].is_empty() {
                terms.unknown.insert(t.position, t.word.clone());
            }
            for (stem, d) in &fuzzed[t.word.as_str()] {
                terms.hit(stem, t, *d);
            }
        }
        terms.join_split_words(query_tokens, prepared);
        terms.positions = terms
            .hits
            .iter()
            .map(|(stem, list)| {
                let mut p: Vec<usize> = list.iter().map(|h| h.0).collect();
                p.sort_unstable();
                p.dedup();
                (stem.clone(), p)
            })
            .collect();
        terms
    }

    /// "in correct" for "incorrect", "pass word" for "password": two query words whose
    /// concatenation is a KB word count as that word (one typo).
    fn join_split_words(&mut self, query_tokens: &[Token], prepared: &Prepared) {
        for pair in query_tokens.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if b.position != a.position + 1 || is_code_like(&a.word) || is_code_like(&b.word) {
                continue;
            }
            // Two words that each stand on their own ("remote desktop") are not a split one,
            // even when the KB has the compound (German "Remotedesktop").
            let known = |t: &Token| prepared.idf.contains_key(&t.stem) && !is_stopword(&t.word);
            if known(a) && known(b) {
                continue;
            }
            let joined = format!("{}{}", a.word, b.word);
            if let Some(stem) = prepared
                .words_by_len
                .get(&joined.chars().count())
                .and_then(|list| list.iter().find(|(w, _)| *w == joined))
                .map(|(_, stem)| stem.clone())
            {
                let t = Token {
                    stem: stem.clone(),
                    word: joined,
                    position: a.position,
                };
                self.hit(&stem, &t, 1);
                // Shown as typed: "in correct" read as "incorrect".
                if let Some(h) = self.hits.get_mut(&stem).and_then(|l| l.last_mut()) {
                    h.2 = format!("{} {}", a.word, b.word);
                }
                // The parts were one word: they are not also words of their own that the
                // KB would have to explain ("in correct" is not "correct").
                self.content.retain(|(_, w)| *w != a.word && *w != b.word);
                if !self.content.iter().any(|(s, _)| *s == stem) {
                    self.content.push((stem, t.word));
                }
            }
        }
    }

    fn hit(&mut self, kb_stem: &str, t: &Token, distance: u8) {
        self.hits.entry(kb_stem.to_string()).or_default().push((
            t.position,
            distance,
            t.word.clone(),
        ));
        let kb = self.word_hits.entry(t.word.clone()).or_default();
        if !kb.iter().any(|s| s == kb_stem) {
            kb.push(kb_stem.to_string());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// How many distinct content words the query has.
    pub fn content_len(&self) -> usize {
        self.content.len()
    }

    /// The share of the query's content words that the KB knows in English (exactly or as a
    /// typo): low for a text in another language.
    pub fn known_share(&self, prepared: &Prepared) -> f32 {
        if self.content.is_empty() {
            return 0.0;
        }
        let known = self
            .content
            .iter()
            .filter(|(stem, word)| {
                !prepared.localized_only.contains(stem)
                    && (self.hits.contains_key(stem) || self.word_hits.contains_key(word))
            })
            .count();
        known as f32 / self.content.len() as f32
    }

    /// True when the query word (`stem`, `word`) matched a stem accepted by `wanted`, exactly
    /// or by a typo.
    fn word_in(&self, stem: &str, word: &str, wanted: impl Fn(&str) -> bool) -> bool {
        wanted(stem)
            || self
                .word_hits
                .get(word)
                .is_some_and(|kb| kb.iter().any(|s| wanted(s)))
    }
}

/// True when sorted `positions` hold one in `p+1 ..= p+gap`.
fn follows_within(positions: &[usize], p: usize, gap: usize) -> bool {
    let i = positions.partition_point(|&q| q <= p);
    positions.get(i).is_some_and(|&q| q - p <= gap)
}

/// KB words within the typo budget of `word` (Damerau-Levenshtein, a swap costs one).
fn fuzzy_neighbours(word: &str, budget: u8, prepared: &Prepared) -> Vec<(String, u8)> {
    let len = word.chars().count();
    let mut out: Vec<(String, u8)> = Vec::new();
    // A long identifier cut short ("SeRemoteInteractiveLogon") is a prefix of the KB word.
    if len >= 12 {
        for (&l, list) in &prepared.words_by_len {
            if l > len {
                for (kb_word, stem) in list {
                    if kb_word.starts_with(word) && !out.iter().any(|(s, _)| s == stem) {
                        out.push((stem.clone(), 1));
                    }
                }
            }
        }
    }
    for l in len.saturating_sub(budget as usize)..=len + budget as usize {
        for (kb_word, stem) in prepared.words_by_len.get(&l).into_iter().flatten() {
            // The first letter is rarely the typo; requiring it keeps the work small.
            if kb_word.chars().next() != word.chars().next() {
                continue;
            }
            let d = strsim::damerau_levenshtein(word, kb_word);
            if d > 0 && d <= budget as usize && d <= typo_budget(kb_word) as usize {
                match out.iter_mut().find(|(s, _)| s == stem) {
                    Some(slot) => slot.1 = slot.1.min(d as u8),
                    None => out.push((stem.clone(), d as u8)),
                }
            }
        }
    }
    out
}

/// The text evidence for one entry.
#[derive(Debug, Clone)]
pub(crate) struct TextScore {
    pub score: f32,
    /// The best single wording's score, before the bag-of-words fallback: how well the query
    /// reads as one of the entry's messages rather than merely sharing its words.
    pub wording: f32,
    pub reason: Option<Reason>,
    /// The role of the wording that scored best (a client's generic "connection closed" is a
    /// consequence).
    pub role: Role,
    /// True when the best evidence is one of the entry's own wordings (a dialog's message or
    /// title, a client's string), not a keyword (our paraphrase) or scattered words.
    pub wording_matched: bool,
    /// That wording is in another language.
    pub localized: bool,
}

/// Scores one entry's wordings against the query. `exact` lists wordings (by index) that the
/// phrase search found verbatim.
pub(crate) fn score_entry(
    entry_index: usize,
    prepared: &Prepared,
    terms: &QueryTerms,
    exact: &std::collections::HashSet<usize>,
) -> TextScore {
    let query_weight: f32 = terms
        .content
        .iter()
        .filter(|(_, word)| !is_domain_word(word))
        .map(|(stem, _)| prepared.idf(stem))
        .sum::<f32>()
        .max(f32::EPSILON);
    let mut best = TextScore {
        score: 0.0,
        wording: 0.0,
        reason: None,
        role: Role::Cause,
        wording_matched: false,
        localized: false,
    };
    let vocab = &prepared.vocab[entry_index];
    let mut best_phrase: Option<usize> = None;
    for (pi, phrase) in prepared.phrases[entry_index].iter().enumerate() {
        // A client's string is what a program prints: a paste of its output holds it word for
        // word, so it counts only when found so. Scattered, its words ("connection closed")
        // are in every log.
        if phrase.kind == PhraseKind::Client && !exact.contains(&pi) {
            continue;
        }
        let mut total = 0.0;
        let mut got = 0.0;
        // Declared before `positions`, which may borrow it for a gap filled below.
        let gap_position: [usize; 1];
        let mut positions: Vec<Option<&[usize]>> = Vec::with_capacity(phrase.words.len());
        for (k, (stem, _)) in phrase.words.iter().enumerate() {
            let w = prepared.idf(stem);
            // A word repeated in a phrase counts once.
            let first = !phrase.words[..k].iter().any(|(s, _)| s == stem);
            if first {
                total += w;
            }
            match terms.hits.get(stem) {
                Some(list) => {
                    let d = list.iter().map(|h| h.1).min().unwrap_or(0);
                    if first {
                        got += w * (1.0 - 0.15 * d as f32);
                    }
                    positions.push(terms.positions.get(stem).map(Vec::as_slice));
                }
                None => positions.push(None),
            }
        }
        if got == 0.0 {
            continue;
        }
        // A phrase word missing exactly where the query has a word the KB does not know and
        // that could be it mistyped ("did not wrok": same first letter, about the same length)
        // gets half credit. Short words have no typo budget, so this is the only way a
        // four-letter typo counts, and it fills one gap of an otherwise matched phrase at most.
        let direct = positions.iter().filter(|p| p.is_some()).count();
        if direct >= 2 && direct + 1 == positions.len() {
            if let Some(k) = positions.iter().position(Option::is_none) {
                let (stem, word) = &phrase.words[k];
                let plausible = |q: &usize| {
                    terms.unknown.get(q).is_some_and(|typed| {
                        typed.chars().next() == word.chars().next()
                            && typed.chars().count().abs_diff(word.chars().count()) <= 1
                    })
                };
                let after_prev = k
                    .checked_sub(1)
                    .and_then(|j| positions[j])
                    .and_then(|p| p.iter().map(|&p| p + 1).find(|q| plausible(q)));
                let before_next = positions.get(k + 1).copied().flatten().and_then(|p| {
                    p.iter()
                        .filter_map(|&p| p.checked_sub(1))
                        .find(|q| plausible(q))
                });
                if !is_code_like(word) {
                    if let Some(q) = after_prev.or(before_next) {
                        got += 0.5 * prepared.idf(stem);
                        gap_position = [q];
                        positions[k] = Some(&gap_position);
                    }
                }
            }
        }
        let coverage = got / total;
        let order = if positions.len() < 2 {
            1.0
        } else {
            // Neighbouring phrase words near each other in the query: in order counts fully,
            // swapped ("account disabled" for "disabled account") counts most of the way.
            let adjacent: f32 = positions
                .windows(2)
                .map(|w| match (w[0], w[1]) {
                    (Some(a), Some(b)) if a.iter().any(|&p| follows_within(b, p, 3)) => 1.0,
                    (Some(a), Some(b)) if b.iter().any(|&q| follows_within(a, q, 3)) => 0.7,
                    _ => 0.0,
                })
                .sum();
            adjacent / (positions.len() - 1) as f32
        };
        // A keyword is itself a paraphrase, and people word the same symptom in any order;
        // a dialog's wording keeps its order.
        let order_weight = if phrase.kind.is_paraphrase() {
            KEYWORD_ORDER_WEIGHT
        } else {
            0.4
        };
        let mut score = coverage * (1.0 - order_weight + order_weight * order);
        // How much of the query this phrase explains: matters for short phrases only.
        let explained: f32 = terms
            .content
            .iter()
            .filter(|(stem, word)| {
                !is_domain_word(word)
                    && terms.word_in(stem, word, |s| phrase.words.iter().any(|(p, _)| p == s))
            })
            .map(|(stem, _)| prepared.idf(stem))
            .sum::<f32>();
        let explained = (explained / query_weight).min(1.0);
        // A long word that only this entry uses (a registry value, a cmdlet, a policy name) is
        // as telling as several ordinary ones.
        let identifiers = phrase
            .words
            .iter()
            .filter(|(stem, word)| {
                word.chars().count() >= 10 && prepared.idf(stem) >= prepared.max_idf * 0.99
            })
            .count();
        let standalone = (total / prepared.full_info + 0.3 * identifiers as f32).min(1.0);
        // Words of a phrase found together and in order are no accident, even in a long
        // paste; scattered words of a short phrase must explain most of the query instead.
        // A run of words every entry uses ("can't rdp to azure vm") tells little, so the
        // credit grows with the phrase's average word weight.
        let specific = (total / phrase.words.len() as f32 / (0.5 * prepared.max_idf)).min(1.0);
        let together = if phrase.words.len() >= 2 {
            0.8 * order * coverage * coverage * specific
        } else {
            0.0
        };
        score *= standalone + (1.0 - standalone) * explained.max(together);
        // Of two wordings the query contains, the one that explains more of it wins
        // ("Your credentials did not work. Unauthorized client").
        score *= 0.9 + 0.1 * explained;
        // A dialog's own wording found verbatim is near-certain; a keyword is a paraphrase.
        if exact.contains(&pi) && !phrase.kind.is_paraphrase() {
            score = score.max(0.9 + 0.1 * standalone.max(explained));
        }
        match phrase.kind {
            PhraseKind::Keyword | PhraseKind::Symptom => score *= 0.9,
            // When entries share a wording, the one it is the title of explains it first.
            // The title's owner wins only when nothing else in the query tells entries apart.
            PhraseKind::Title => score *= 1.02,
            PhraseKind::Message | PhraseKind::Client => {}
        }
        if score > best.score {
            best.score = score;
            best_phrase = Some(pi);
        }
    }
    // The reason is written out for the winning wording only.
    if let Some(pi) = best_phrase {
        let phrase = &prepared.phrases[entry_index][pi];
        best.role = phrase.role;
        best.wording_matched = !phrase.kind.is_paraphrase();
        best.localized = phrase.localized;
        best.reason = Some(if exact.contains(&pi) && !phrase.kind.is_paraphrase() {
            Reason::Phrase {
                phrase: phrase.text.clone(),
                client: phrase.client.clone(),
                lang: phrase.lang.clone(),
            }
        } else {
            phrase_terms_reason(phrase, terms)
        });
    }
    best.wording = best.score;
    // Among entries whose best wordings tie, prefer the one whose vocabulary explains more of
    // the query ("Your credentials did not work. Unauthorized client").
    let in_vocab = |stem: &String, word: &String| terms.word_in(stem, word, |s| vocab.contains(s));
    // A word found only as a typo of a KB word counts half: "interne" is not surely "internet".
    let covered: f32 = terms
        .content
        .iter()
        .filter(|(stem, word)| !is_domain_word(word) && in_vocab(stem, word))
        .map(|(stem, _)| prepared.idf(stem) * if vocab.contains(stem) { 1.0 } else { 0.5 })
        .sum();
    // Between entries that tie, the one whose vocabulary explains more of the query.
    // Not capped at 1: above it the score still orders entries that share a wording; the
    // confidence shown is capped later.
    best.score *= 0.9 + 0.1 * (covered / query_weight).min(1.0);

    // A paraphrase rarely contains a whole wording, but its rare words still point to one
    // entry ("trust relationship failed domain user"). Weighting by IDF squared lets rare
    // words decide; words the KB does not know at all count against.
    let mut matched_sq = 0.0;
    let mut all_sq = 0.0;
    let mut matched_info = 0.0;
    let mut seen = HashSet::default();
    for (stem, word) in &terms.content {
        if is_domain_word(word) || !seen.insert(stem) {
            continue;
        }
        let w = prepared.idf(stem);
        all_sq += w * w;
        if in_vocab(stem, word) {
            matched_sq += w * w;
            matched_info += w;
        }
    }
    if all_sq > 0.0 {
        let explained = matched_sq / all_sq;
        let amount = (matched_info / prepared.full_info).min(1.0);
        // Never above the phrase evidence by much: ties here are settled by the wordings.
        let term_score = 0.72 * explained * amount + 0.1 * best.score;
        if term_score > best.score {
            best.score = term_score;
            best.role = Role::Cause;
            best.wording_matched = false;
            best.localized = false;
            if best.reason.is_none() {
                best.reason = Some(Reason::Terms {
                    phrase: String::new(),
                    matched: terms
                        .content
                        .iter()
                        .filter(|(stem, word)| in_vocab(stem, word))
                        .map(|(_, w)| w.clone())
                        .collect(),
                    typos: Vec::new(),
                    lang: None,
                });
            }
        }
    }
    best
}

/// The words of `phrase` found in the query, and the typos among them.
fn phrase_terms_reason(phrase: &Phrase, terms: &QueryTerms) -> Reason {
    let mut matched = Vec::new();
    let mut typos = Vec::new();
    for (k, (stem, word)) in phrase.words.iter().enumerate() {
        if phrase.words[..k].iter().any(|(s, _)| s == stem) {
            continue;
        }
        if let Some(list) = terms.hits.get(stem) {
            matched.push(word.clone());
            if let Some(h) = list.iter().filter(|h| h.1 > 0).min_by_key(|h| h.1) {
                if list.iter().all(|x| x.1 > 0) {
                    typos.push(Typo {
                        typed: h.2.clone(),
                        read_as: word.clone(),
                        distance: h.1,
                    });
                }
            }
        }
    }
    Reason::Terms {
        phrase: phrase.text.clone(),
        matched,
        typos,
        lang: phrase.lang.clone(),
    }
}

/// Evidence from a fragment the user quoted or typed that appears inside one of the entry's
/// wordings: stronger the more specific the fragment is and the more of the wording it covers,
/// but below a wording found whole.
pub(crate) fn fragment_score(
    fragment: &str,
    share: f32,
    kind: PhraseKind,
    prepared: &Prepared,
) -> f32 {
    let info: f32 = content_words(fragment)
        .iter()
        .map(|(stem, _)| prepared.idf(stem))
        .sum();
    let specific = (info / prepared.full_info).min(1.0);
    let score = (0.5 + 0.35 * specific) * (0.85 + 0.15 * share);
    if kind.is_paraphrase() {
        score * 0.9
    } else {
        score
    }
}

/// Combines independent pieces of evidence: each one closes part of the remaining doubt.
pub(crate) fn combine(scores: &[f32]) -> f32 {
    let doubt: f32 = scores.iter().map(|s| 1.0 - s.clamp(0.0, 1.0)).product();
    (1.0 - doubt).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_not_words() {
        assert_eq!(
            without_placeholders("can't find the computer \"<computer>\"."),
            "can't find the computer \" \"."
        );
    }

    #[test]
    fn evidence_combines_without_exceeding_one() {
        assert_eq!(combine(&[]), 0.0);
        assert!((combine(&[0.5, 0.5]) - 0.75).abs() < 1e-6);
        assert_eq!(combine(&[1.0, 0.3]), 1.0);
        assert_eq!(combine(&[2.0]), 1.0);
    }
}

//! A query read once: the forms every later step needs (folded for codes and exact search,
//! normalised, tokenised and matched against the KB's words), the parts people quote or retell,
//! and whether the text names another product.

use crate::normalize::{self, Token};
use crate::rank::{Prepared, QueryTerms};
use crate::{floor_boundary, WORD_WINDOW};
use std::borrow::Cow;

/// Quoted parts scored per query; more add time, not answers.
const MAX_QUOTED: usize = 32;
/// Retold parts scored per query.
const MAX_RETOLD: usize = 8;
/// A query of at most this many words is also searched whole inside the KB's wordings.
const SHORT_QUERY_WORDS: usize = 8;

pub(crate) struct Query<'a> {
    /// Characters folded (quotes, full-width forms): what codes and exact wordings are found in.
    pub folded: Cow<'a, str>,
    /// The whole text normalised (see [`normalize::normalize`]).
    pub normalized: String,
    /// Tokens of the word window.
    pub tokens: Vec<Token>,
    /// The window's words as the KB knows them.
    pub terms: QueryTerms,
    /// Each quoted part, normalised.
    pub quoted_parts: Vec<String>,
    /// Each quoted part's words: the message the user saw, scored on its own.
    pub quoted: Vec<QueryTerms>,
    /// Each message retold after "says", "keeps telling me" ...: scored on its own too.
    pub retold: Vec<QueryTerms>,
    /// The product or field the text names instead of ours ("sql server").
    pub other_field: Option<&'static str>,
}

impl<'a> Query<'a> {
    pub fn read(text: &'a str, prepared: &Prepared) -> Query<'a> {
        let folded = normalize::fold_chars(text);
        let normalized = normalize::normalize(text);
        let window = &text[..floor_boundary(text, WORD_WINDOW)];
        let tokens = if window.len() == text.len() {
            normalize::tokens_of_normalized(&normalized)
        } else {
            normalize::tokens(window)
        };
        let ruled = ruled_out(&tokens);
        let terms = if ruled.is_empty() {
            QueryTerms::new(&tokens, prepared)
        } else {
            let kept: Vec<Token> = tokens
                .iter()
                .filter(|t| !ruled.contains(&t.position))
                .cloned()
                .collect();
            QueryTerms::new(&kept, prepared)
        };
        let quoted_parts: Vec<String> = normalize::quoted_segments(window)
            .iter()
            .take(MAX_QUOTED)
            .map(|s| normalize::normalize(s))
            .collect();
        let quoted = quoted_parts
            .iter()
            .map(|s| QueryTerms::new(&normalize::tokens_of_normalized(s), prepared))
            .collect();
        let retold = normalize::retold_segments(window)
            .iter()
            .take(MAX_RETOLD)
            .map(|s| QueryTerms::new(&normalize::tokens(s), prepared))
            .collect();
        let other_field = normalize::other_field(&normalized);
        Query {
            folded,
            normalized,
            tokens,
            terms,
            quoted_parts,
            quoted,
            retold,
            other_field,
        }
    }

    /// Parts of the query to look for inside the KB's wordings: each quoted part, and a short
    /// query as a whole. One word is not a fragment.
    pub fn fragments(&self) -> impl Iterator<Item = &String> {
        // `nth` stops counting early: a pasted log is never short.
        let short = (self.normalized.split(' ').nth(SHORT_QUERY_WORDS).is_none())
            .then_some(&self.normalized);
        self.quoted_parts
            .iter()
            .chain(short)
            .filter(|f| f.split(' ').count() >= 2)
    }

    /// True when every quoted part is in words the KB knows in English: such a quote that no
    /// wording reads like is another product's message.
    pub fn quotes_are_english(&self, prepared: &Prepared) -> bool {
        !self.quoted.is_empty()
            && self
                .quoted
                .iter()
                .all(|q| q.known_share(prepared) >= ENGLISH_SHARE)
    }
}

/// A story longer than this many words is a paste, not a story: its clauses are not weighed.
const MAX_STORY_WORDS: usize = 200;

/// Words that end a clause and turn to what is still wrong ("the NSG allows 3389 but ...").
const CONTRAST: &[&str] = &["but", "however", "although", "though", "yet", "still"];
/// Words that say a thing was checked and lets the connection through. Not "works": "works by
/// IP but not by name" is a symptom, not a cause ruled out.
const FINE: &[&str] = &[
    "allow",
    "allows",
    "allowed",
    "open",
    "opened",
    "checked",
    "verified",
    "confirmed",
];
/// Words that say something failed: a clause with one of them is part of the problem.
const FAILED: &[&str] = &[
    "not", "no", "never", "fail", "fails", "failed", "failing", "error", "unable", "denied",
    "refused", "refuses", "blocked", "blocks", "wrong", "cannot",
];

/// Positions of the words of clauses that rule something out: a clause before "but" (or
/// "however", "although" ...) that says a thing is fine or was checked ("the NSG allows 3389",
/// "I checked the firewall and it is open") and names no failure. Their words point to the
/// causes the writer has already excluded, so the whole story is scored without them.
fn ruled_out(tokens: &[Token]) -> std::collections::HashSet<usize> {
    let mut out = std::collections::HashSet::new();
    if tokens.len() > MAX_STORY_WORDS {
        return out;
    }
    let mut clause: Vec<&Token> = Vec::new();
    for t in tokens {
        if CONTRAST.contains(&t.word.as_str()) {
            let fine = clause.iter().any(|c| FINE.contains(&c.word.as_str()));
            let failed = clause.iter().any(|c| FAILED.contains(&c.word.as_str()));
            if fine && !failed {
                out.extend(clause.iter().map(|c| c.position));
            }
            clause.clear();
        } else {
            clause.push(t);
        }
    }
    out
}

/// The share of known words above which a quote counts as English.
const ENGLISH_SHARE: f32 = 0.6;

#[cfg(test)]
mod tests {
    use super::*;

    fn ruled_words(text: &str) -> Vec<String> {
        let tokens = normalize::tokens(text);
        let ruled = ruled_out(&tokens);
        tokens
            .into_iter()
            .filter(|t| ruled.contains(&t.position))
            .map(|t| t.word)
            .collect()
    }

    #[test]
    fn a_clause_that_rules_a_cause_out_is_set_aside() {
        assert_eq!(
            ruled_words("the NSG allows 3389 but I still cannot connect"),
            ["the", "nsg", "allows", "3389"]
        );
        // A clause that names a failure is part of the problem.
        assert!(ruled_words("the firewall blocks 3389 but only from home").is_empty());
        // Without a contrast nothing is set aside.
        assert!(ruled_words("port 3389 is open and the password is wrong").is_empty());
    }
}

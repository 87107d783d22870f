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
        let terms = QueryTerms::new(&tokens, prepared);
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

/// The share of known words above which a quote counts as English.
const ENGLISH_SHARE: f32 = 0.6;

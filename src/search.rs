//! Finding candidates for free text: a tantivy index in RAM over each entry's title, messages,
//! keywords and causes, queried word by word with a typo budget by word length.
//!
//! tantivy only proposes candidates here. Its fuzzy hits all score the same (its automaton
//! weight is constant), so the final order is decided by `rank`.

use crate::model::Entry;
use crate::normalize::{analyzer, is_code_like, is_stopword, typo_budget, Token};
use crate::rank::Prepared;
use std::collections::HashSet;
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, STORED,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

const TOKENIZER: &str = "rdperr";
/// Candidates proposed per query; ranking looks at no more.
const CANDIDATES: usize = 40;
/// Distinct words sent to the index; the rest of a huge paste adds nothing but time.
const MAX_QUERY_WORDS: usize = 48;

pub(crate) struct TextIndex {
    reader: IndexReader,
    ordinal: Field,
    /// Title, messages, keywords and causes in one field: tantivy only proposes candidates,
    /// so per-field weights would buy nothing and cost a clause per field per word.
    text: Field,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TextIndex")
    }
}

impl TextIndex {
    pub fn build(entries: &[Arc<Entry>], prepared: &Prepared) -> tantivy::Result<TextIndex> {
        let mut schema = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let ordinal = schema.add_u64_field("ordinal", FAST | STORED);
        let text_field = schema.add_text_field("text", text);
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(TOKENIZER, analyzer());
        // One thread and one commit: a single segment, deterministic doc order.
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
        for (i, entry) in entries.iter().enumerate() {
            let mut document = doc!(ordinal => i as u64);
            // Wordings come normalised from `Prepared`; only the causes are normalised here.
            // A client's strings count only when found whole (`phrases`), so the fuzzy index
            // does not need them.
            for phrase in prepared.phrases[i]
                .iter()
                .filter(|p| p.kind != crate::rank::PhraseKind::Client)
            {
                document.add_text(text_field, &phrase.normalized);
            }
            for cause in &entry.causes {
                document.add_text(text_field, crate::normalize::normalize(cause));
            }
            writer.add_document(document)?;
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(TextIndex {
            reader,
            ordinal,
            text: text_field,
        })
    }

    /// Entry indexes whose text shares words with the query, typos allowed by word length.
    ///
    /// Words the KB knows exactly (`known`) are looked up as they are; only unknown words are
    /// fuzzed, which spares building an automaton per word.
    pub fn candidates(&self, query: &[Token], known: impl Fn(&str) -> bool) -> Vec<usize> {
        let mut seen = HashSet::new();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in query {
            if is_stopword(&t.word) || !seen.insert(t.stem.as_str()) {
                continue;
            }
            if seen.len() > MAX_QUERY_WORDS {
                break;
            }
            let budget = typo_budget(&t.word);
            let term = Term::from_field_text(self.text, &t.stem);
            let q: Box<dyn Query> = if budget == 0 || is_code_like(&t.word) || known(&t.stem) {
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
            } else {
                Box::new(FuzzyTermQuery::new(term, budget, true))
            };
            clauses.push((Occur::Should, q));
        }
        if clauses.is_empty() {
            return Vec::new();
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let Ok(hits) = searcher.search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score())
        else {
            return Vec::new();
        };
        hits.into_iter()
            .filter_map(|(_, address)| {
                let stored: TantivyDocument = searcher.doc(address).ok()?;
                stored.get_first(self.ordinal)?.as_u64().map(|v| v as usize)
            })
            .collect()
    }
}

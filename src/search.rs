//! Finding candidates for free text: a tantivy index in RAM over each entry's title, messages,
//! keywords and causes, queried word by word with a typo budget by word length.
//!
//! tantivy only proposes candidates here. Its fuzzy hits all score the same (its automaton
//! weight is constant), so the final order is decided by `rank`.

use crate::model::Entry;
use crate::normalize::{analyzer, is_code_like, is_stopword, typo_budget, Token};
use std::collections::HashSet;
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
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
    fields: [(Field, f32); 4],
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TextIndex")
    }
}

impl TextIndex {
    pub fn build(entries: &[Arc<Entry>]) -> tantivy::Result<TextIndex> {
        let mut schema = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let ordinal = schema.add_u64_field("ordinal", FAST | STORED);
        let title = schema.add_text_field("title", text.clone());
        let messages = schema.add_text_field("messages", text.clone());
        let keywords = schema.add_text_field("keywords", text.clone());
        let causes = schema.add_text_field("causes", text);
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(TOKENIZER, analyzer());
        // One thread and one commit: a single segment, deterministic doc order.
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
        for (i, entry) in entries.iter().enumerate() {
            let norm = |s: &str| crate::normalize::normalize(s);
            let mut document = doc!(ordinal => i as u64, title => norm(&entry.title));
            for m in &entry.messages {
                document.add_text(messages, norm(m));
            }
            for k in &entry.keywords {
                document.add_text(keywords, norm(k));
            }
            for c in &entry.causes {
                document.add_text(causes, norm(c));
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
            fields: [
                (title, 2.0),
                (messages, 1.5),
                (keywords, 1.2),
                (causes, 0.4),
            ],
        })
    }

    /// Entry indexes whose text shares words with the query, typos allowed by word length.
    pub fn candidates(&self, query: &[Token]) -> Vec<usize> {
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
            for &(field, boost) in &self.fields {
                let term = Term::from_field_text(field, &t.stem);
                let q: Box<dyn Query> = if budget == 0 || is_code_like(&t.word) {
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
                } else {
                    Box::new(FuzzyTermQuery::new(term, budget, true))
                };
                clauses.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
            }
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

//! The index schema, built once and shared as a typed struct of field handles.

use tantivy::Index;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};

/// Name of the stemming English analyzer used for text fields.
pub const TEXT_ANALYZER: &str = "chief_en";

/// Field handles of the index schema.
#[derive(Debug, Clone)]
pub struct IndexSchema {
    pub schema: Schema,
    /// Item id (exact, stored): the key back into SQLite.
    pub id: Field,
    pub title: Field,
    pub body: Field,
    /// The item's propositions (stemmed text, like the body).
    pub facts: Field,
    pub author: Field,
    /// Container id and normalized name (exact, for filters).
    pub container_keys: Field,
    pub source: Field,
    pub kind: Field,
    /// Identity keys of the people involved (exact, for person filters).
    pub people: Field,
    /// Reference terms such as `ticket:pay-142` (exact).
    pub refs: Field,
    /// The item's own identifiers, in the same form as `refs`.
    pub keys: Field,
    /// Creation time in ms (indexed and fast, for ranges and recency).
    pub ts: Field,
}

impl IndexSchema {
    /// Builds the schema.
    pub fn build() -> IndexSchema {
        let mut b = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TEXT_ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let names = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer("default").set_index_option(IndexRecordOption::WithFreqs),
        );
        let id = b.add_text_field("id", STRING | STORED);
        let title = b.add_text_field("title", text.clone());
        let body = b.add_text_field("body", text.clone());
        let facts = b.add_text_field("facts", text);
        let author = b.add_text_field("author", names);
        let container_keys = b.add_text_field("container_keys", STRING);
        let source = b.add_text_field("source", STRING);
        let kind = b.add_text_field("kind", STRING);
        let people = b.add_text_field("people", STRING);
        let refs = b.add_text_field("refs", STRING);
        let keys = b.add_text_field("keys", STRING);
        let ts = b.add_i64_field("ts", NumericOptions::default().set_indexed().set_fast());
        IndexSchema {
            schema: b.build(),
            id,
            title,
            body,
            facts,
            author,
            container_keys,
            source,
            kind,
            people,
            refs,
            keys,
            ts,
        }
    }

    /// The field handles of an opened index (whose schema [`IndexSchema::matches`]).
    pub fn from_index(index: &Index) -> IndexSchema {
        let mut s = IndexSchema::build();
        s.schema = index.schema();
        s
    }

    /// True if `schema` is exactly the one this build writes.
    pub fn matches(schema: &Schema) -> bool {
        let ours = IndexSchema::build().schema;
        serde_json::to_string(schema).ok() == serde_json::to_string(&ours).ok()
    }
}

/// Registers Chief's analyzers on an index (needed on every open).
pub fn register_tokenizers(index: &mut Index) {
    let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::new(Language::English).unwrap_or_else(|| StopWordFilter::remove(Vec::<String>::new())))
        .filter(Stemmer::new(Language::English))
        .build();
    index.tokenizers().register(TEXT_ANALYZER, analyzer);
}

/// Normalized container name used as an exact filter key (`#Incidents` → `incidents`).
pub fn container_key(name: &str) -> String {
    name.trim().trim_start_matches('#').to_lowercase()
}

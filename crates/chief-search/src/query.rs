//! Query building and execution: words across the text fields, exact identifiers
//! against reference terms, and filters that narrow without changing scores.

use std::ops::Bound;
use std::sync::OnceLock;

use chief_store::Store;
use regex::Regex;
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Term, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TokenStream;
use tantivy::{DocAddress, Order, Score, TantivyDocument};

use crate::schema::{TEXT_ANALYZER, container_key};
use crate::{SearchError, SearchIndex};

/// Narrowing conditions. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub sources: Vec<String>,
    pub kinds: Vec<String>,
    /// Container ids or names (`#incidents`, `incidents`, `slack:C123`).
    pub containers: Vec<String>,
    /// Each inner list is one person's identity keys; an item matches if it involves
    /// any of them.
    pub people: Vec<Vec<String>>,
    /// Inclusive lower bound on creation time (ms).
    pub since: Option<i64>,
    /// Exclusive upper bound on creation time (ms).
    pub until: Option<i64>,
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub text: String,
    pub filters: Filters,
    pub limit: usize,
    /// Skip snippets (they read each hit's body from the store): for candidate
    /// lists that are fused and cut before display.
    pub no_snippets: bool,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub score: f32,
    /// A fragment of the body around the best match.
    pub snippet: String,
    /// Byte ranges of matched words inside `snippet`.
    pub highlights: Vec<(usize, usize)>,
    /// Why it matched: `bm25` for words, `id` when the item *is* the identifier
    /// searched for (the ticket, the PR), `ref` when it mentions it.
    pub matched: Vec<&'static str>,
}

fn ticket_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,7}$").expect("valid regex"))
}

fn pr_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+#[0-9]+$").expect("valid regex"))
}

/// Reference terms for identifiers typed in the query (`PAY-142`, `org/repo#12`).
pub(crate) fn identifier_terms(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| matches!(c, ',' | '.' | ';' | ':' | '(' | ')' | '"' | '\'' | '?' | '!')))
        .filter_map(|w| {
            if ticket_re().is_match(w) {
                Some(format!("ticket:{}", w.to_lowercase()))
            } else if pr_re().is_match(w) {
                Some(format!("pr:{}", w.to_lowercase()))
            } else {
                None
            }
        })
        .collect()
}

/// Words of a question that say nothing about what is asked.
const QUESTION_WORDS: &[&str] = &[
    "why", "what", "when", "where", "who", "whom", "whose", "which", "how", "did", "does", "do", "is", "are", "was",
    "were", "anyone", "someone",
];

impl SearchIndex {
    /// The query's words as indexed. Question words and auxiliaries ("why did …") carry
    /// no meaning for matching and are left out, unless they are all the query has.
    pub(crate) fn words(&self, text: &str) -> Vec<String> {
        let content: Vec<&str> = text
            .split_whitespace()
            .filter(|w| {
                let bare = w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
                !QUESTION_WORDS.contains(&bare.as_str())
            })
            .collect();
        let text = if content.iter().any(|w| w.chars().any(char::is_alphanumeric)) {
            content.join(" ")
        } else {
            text.to_string()
        };
        let mut analyzer = self.index.tokenizers().get(TEXT_ANALYZER).expect("analyzer registered on open");
        let mut stream = analyzer.token_stream(&text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token().text.clone();
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    fn names(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.index.tokenizers().get("default").expect("default analyzer");
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let s = &self.schema;
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let term = |field: Field, word: &str, boost: Score| -> (Occur, Box<dyn Query>) {
            let q = TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs);
            (Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost)))
        };
        for w in self.words(text) {
            if self.title_boost > 0.0 {
                should.push(term(s.title, &w, self.title_boost));
            }
            should.push(term(s.body, &w, 1.0));
            if self.facts_boost > 0.0 {
                should.push(term(s.facts, &w, self.facts_boost));
            }
        }
        for n in self.names(text) {
            should.push(term(s.author, &n, 1.5));
        }
        for r in identifier_terms(text) {
            should.push(term(s.refs, &r, 8.0));
            should.push(term(s.keys, &r, 100.0));
        }
        (!should.is_empty()).then(|| Box::new(BooleanQuery::new(should)) as Box<dyn Query>)
    }

    fn filter_queries(&self, f: &Filters) -> Vec<(Occur, Box<dyn Query>)> {
        let s = &self.schema;
        let set = |field: Field, values: Vec<String>| -> (Occur, Box<dyn Query>) {
            let q = TermSetQuery::new(values.iter().map(|v| Term::from_field_text(field, v)));
            (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(q), 0.0)))
        };
        let mut out = Vec::new();
        if !f.sources.is_empty() {
            out.push(set(s.source, f.sources.iter().map(|v| v.to_lowercase()).collect()));
        }
        if !f.kinds.is_empty() {
            out.push(set(s.kind, f.kinds.iter().map(|v| v.to_lowercase()).collect()));
        }
        if !f.containers.is_empty() {
            out.push(set(
                s.container_keys,
                f.containers.iter().map(|c| if c.contains(':') { c.clone() } else { container_key(c) }).collect(),
            ));
        }
        for person in &f.people {
            out.push(set(s.people, person.clone()));
        }
        if f.since.is_some() || f.until.is_some() {
            let lo = f.since.map_or(Bound::Unbounded, |t| Bound::Included(Term::from_field_i64(s.ts, t)));
            let hi = f.until.map_or(Bound::Unbounded, |t| Bound::Excluded(Term::from_field_i64(s.ts, t)));
            out.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(RangeQuery::new(lo, hi)), 0.0))));
        }
        out
    }

    /// A snippet of `body` for a query: the fragment and the matched byte ranges.
    pub fn snippet(&self, text: &str, body: &str) -> Result<(String, Vec<(usize, usize)>), SearchError> {
        let searcher = self.reader.searcher();
        let Some(query) = self.text_query(text) else { return Ok((body.chars().take(180).collect(), Vec::new())) };
        let mut generator = SnippetGenerator::create(&searcher, &*query, self.schema.body)?;
        generator.set_max_num_chars(180);
        let s = generator.snippet(body);
        if s.is_empty() {
            return Ok((body.chars().take(180).collect(), Vec::new()));
        }
        Ok((s.fragment().to_string(), s.highlighted().iter().map(|r| (r.start, r.end)).collect()))
    }

    /// Runs a search; snippets are cut from item bodies read from `store`.
    /// With no words, returns the newest items that pass the filters.
    pub fn search(&self, req: &SearchRequest, store: &Store) -> Result<Vec<Hit>, SearchError> {
        let s = &self.schema;
        let limit = req.limit.clamp(1, 1000);
        let searcher = self.reader.searcher();
        let text_q = self.text_query(&req.text);
        let mut clauses = self.filter_queries(&req.filters);
        let has_text = text_q.is_some();
        let query: Box<dyn Query> = match text_q {
            Some(q) => {
                clauses.push((Occur::Must, q));
                Box::new(BooleanQuery::new(clauses))
            }
            None if clauses.is_empty() => Box::new(AllQuery),
            None => {
                clauses.push((Occur::Must, Box::new(AllQuery)));
                Box::new(BooleanQuery::new(clauses))
            }
        };
        let docs: Vec<(Score, DocAddress)> = if has_text {
            searcher.search(&*query, &TopDocs::with_limit(limit).order_by_score())?
        } else {
            searcher
                .search(&*query, &TopDocs::with_limit(limit).order_by_fast_field::<i64>("ts", Order::Desc))?
                .into_iter()
                .map(|(ts, addr)| (ts.unwrap_or(0) as Score * 0.0, addr))
                .collect()
        };
        let mut snippets = SnippetGenerator::create(&searcher, &*query, s.body)?;
        snippets.set_max_num_chars(180);
        let id_terms: Vec<Term> =
            identifier_terms(&req.text).iter().map(|r| Term::from_field_text(s.refs, r)).collect();
        let mut hits = Vec::with_capacity(docs.len());
        for (score, addr) in docs {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let Some(id) = doc.get_first(s.id).and_then(|v| v.as_str()).map(str::to_string) else { continue };
            let body =
                if req.no_snippets { String::new() } else { store.item(&id)?.map(|i| i.item.body).unwrap_or_default() };
            let snippet = snippets.snippet(&body);
            let (fragment, highlights) = if req.no_snippets {
                (String::new(), Vec::new())
            } else if snippet.is_empty() {
                (body.chars().take(180).collect::<String>(), Vec::new())
            } else {
                (snippet.fragment().to_string(), snippet.highlighted().iter().map(|r| (r.start, r.end)).collect())
            };
            let mut matched = Vec::new();
            if has_text {
                matched.push("bm25");
            }
            if !id_terms.is_empty() {
                let seg = searcher.segment_reader(addr.segment_ord);
                for (field, tag) in [(s.keys, "id"), (s.refs, "ref")] {
                    let inv = seg.inverted_index(field)?;
                    let found = id_terms.iter().try_fold(false, |found, t| -> Result<bool, SearchError> {
                        if found {
                            return Ok(true);
                        }
                        let t = Term::from_field_text(field, t.value().as_str().unwrap_or(""));
                        let Some(mut postings) =
                            inv.read_postings(&t, IndexRecordOption::Basic).map_err(tantivy::TantivyError::from)?
                        else {
                            return Ok(false);
                        };
                        use tantivy::DocSet;
                        let here = postings.doc();
                        Ok(here == addr.doc_id || (here < addr.doc_id && postings.seek(addr.doc_id) == addr.doc_id))
                    })?;
                    if found {
                        matched.push(tag);
                    }
                }
            }
            hits.push(Hit { id, score, snippet: fragment, highlights, matched });
        }
        Ok(hits)
    }
}

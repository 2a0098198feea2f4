//! Splitting long items into passages the model can read (it sees at most 256
//! tokens), on paragraph and sentence boundaries, each with the item's title as
//! context and its byte offsets into the body.

/// A passage of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Index of the chunk within its item.
    pub index: usize,
    /// Byte range in the body.
    pub start: usize,
    pub end: usize,
    /// What is embedded: the title (if any) and the passage.
    pub text: String,
}

/// Token budget per chunk: the model reads 256 word pieces; leave room for the title.
pub const CHUNK_TOKENS: usize = 220;

fn is_sentence_end(s: &str, i: usize) -> bool {
    let b = s.as_bytes();
    matches!(b[i], b'.' | b'!' | b'?' | b'\n') && (i + 1 == b.len() || b[i + 1].is_ascii_whitespace())
}

/// A rough word-piece count: English words are about 1.3 pieces, while scripts
/// without spaces (Japanese, Chinese) are about one piece per character.
fn estimate_tokens(word: &str) -> usize {
    if word.is_ascii() { 1 + word.len() / 8 } else { word.chars().count().max(1) }
}

/// Splits `body` into chunks of at most `max_tokens` estimated word pieces, cutting
/// after sentence ends where possible. Short bodies give one chunk. Never panics.
/// [`Embed::chunk`](crate::Embed::chunk) counts the model's own word pieces instead.
///
/// ```
/// let chunks = chief_embed::chunk_text("Title", "One. Two.", 220);
/// assert_eq!(chunks.len(), 1);
/// assert_eq!(chunks[0].text, "Title\nOne. Two.");
/// ```
pub fn chunk_text(title: &str, body: &str, max_tokens: usize) -> Vec<Chunk> {
    chunk_counted(title, body, max_tokens, &|start, end| estimate_tokens(&body[start..end]))
}

/// [`chunk_text`] with `pieces(start, end)` saying how many word pieces `body[start..end]`
/// (one word) is.
pub(crate) fn chunk_counted(
    title: &str,
    body: &str,
    max_tokens: usize,
    pieces: &dyn Fn(usize, usize) -> usize,
) -> Vec<Chunk> {
    let max_tokens = max_tokens.max(16);
    let prefix = |passage: &str| {
        if title.trim().is_empty() { passage.to_string() } else { format!("{}\n{passage}", title.trim()) }
    };
    // Words as (end offset, word pieces); runs without spaces are cut every 64 chars.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut chars_in_word = 0;
    for (i, c) in body.char_indices() {
        if c.is_whitespace() {
            if let Some(ws) = word_start.take() {
                words.push((i, pieces(ws, i)));
            }
            chars_in_word = 0;
            continue;
        }
        if chars_in_word == 64 {
            if let Some(ws) = word_start.take() {
                words.push((i, pieces(ws, i)));
            }
            chars_in_word = 0;
        }
        word_start.get_or_insert(i);
        chars_in_word += 1;
    }
    if let Some(ws) = word_start {
        words.push((body.len(), pieces(ws, body.len())));
    }
    let total: usize = words.iter().map(|w| w.1).sum();
    if total <= max_tokens {
        return vec![Chunk { index: 0, start: 0, end: body.len(), text: prefix(body.trim()) }];
    }
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut w = 0;
    while w < words.len() {
        // Take words up to the budget (at least one).
        let mut budget = 0;
        let mut limit = w;
        while limit < words.len() && (limit == w || budget + words[limit].1 <= max_tokens) {
            budget += words[limit].1;
            limit += 1;
        }
        // Prefer the last sentence end in the second half of the window.
        let mut cut = limit;
        if limit < words.len() {
            let half = w + (limit - w) / 2;
            for k in (half.max(w + 1)..limit).rev() {
                let e = words[k - 1].0;
                if e > 0 && is_sentence_end(body, e - 1) {
                    cut = k;
                    break;
                }
            }
        }
        let end = words[cut - 1].0;
        let passage = body[start..end].trim();
        if !passage.is_empty() {
            chunks.push(Chunk { index: chunks.len(), start, end, text: prefix(passage) });
        }
        start = end;
        w = cut;
    }
    chunks
}

/// Fewest sentences an item needs before its sentences are embedded on their own.
/// One or two sentences are already read whole by the passage vector.
pub const MIN_SENTENCES: usize = 3;

/// Fragments of fewer words than this ("Results:", "Fig. 2") join the next sentence.
const MIN_SENTENCE_WORDS: usize = 5;

/// The body's sentences, each with the title as context, when it has at least
/// [`MIN_SENTENCES`] of them (else none), the first `max` kept. A claim usually rests on
/// one sentence of a longer text; a vector of that sentence alone matches it far better
/// than the vector of a whole passage, which averages it with everything around it.
///
/// ```
/// let s = chief_embed::sentence_chunks("T", "One two three four five. Six seven eight nine ten! Eleven twelve thirteen fourteen fifteen?", 8);
/// assert_eq!(s.len(), 3);
/// assert_eq!(s[1].text, "T\nSix seven eight nine ten!");
/// assert!(chief_embed::sentence_chunks("T", "Just one sentence here, nothing more.", 8).is_empty());
/// ```
pub fn sentence_chunks(title: &str, body: &str, max: usize) -> Vec<Chunk> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for (i, c) in body.char_indices() {
        // The passages' rule, plus a newline and the full-width ends of CJK text.
        if matches!(c, '\n' | '。' | '！' | '？') || (c.is_ascii() && is_sentence_end(body, i)) {
            let end = i + c.len_utf8();
            if !body[start..end].trim().is_empty() {
                spans.push((start, end));
            }
            start = end;
        }
    }
    if !body[start..].trim().is_empty() {
        spans.push((start, body.len()));
    }
    // Join fragments to the sentence after them (the last one to the sentence before).
    let mut merged: Vec<(usize, usize)> = Vec::new();
    let mut pending: Option<usize> = None;
    for (s, e) in spans {
        let from = pending.take().unwrap_or(s);
        if body[from..e].split_whitespace().count() < MIN_SENTENCE_WORDS {
            pending = Some(from);
        } else {
            merged.push((from, e));
        }
    }
    if let Some(from) = pending {
        match merged.last_mut() {
            Some(last) => last.1 = body.len(),
            None => merged.push((from, body.len())),
        }
    }
    if merged.len() < MIN_SENTENCES {
        return Vec::new();
    }
    let title = title.trim();
    merged
        .into_iter()
        .take(max)
        .enumerate()
        .map(|(index, (start, end))| {
            let passage = body[start..end].trim();
            let text = if title.is_empty() { passage.to_string() } else { format!("{title}\n{passage}") };
            Chunk { index, start, end, text }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_keep_offsets_join_fragments_and_skip_short_bodies() {
        let body = "Background: the pool was small. We raised the Redis pool size to 64 in production. Fig. 2 \
                    shows the latency before and after the change. Errors dropped to zero within an hour.";
        let s = sentence_chunks("Pool fix", body, 32);
        assert_eq!(s.len(), 4, "{s:?}");
        assert!(s.iter().all(|c| c.text.starts_with("Pool fix\n")));
        assert_eq!(body[s[1].start..s[1].end].trim(), "We raised the Redis pool size to 64 in production.");
        // "Fig." is a fragment: it stays with the words after it.
        assert!(body[s[2].start..s[2].end].trim().starts_with("Fig. 2"), "{:?}", &s[2]);
        assert_eq!(s.last().unwrap().end, body.len());
        assert_eq!(sentence_chunks("", body, 2).len(), 2);
        assert!(sentence_chunks("t", "Two sentences only here. And the second one ends.", 32).is_empty());
        assert!(sentence_chunks("", "", 32).is_empty());
        let jp = "東京で会議があります。".repeat(5);
        assert!(sentence_chunks("", &jp, 32).len() <= 5);
    }

    #[test]
    fn long_bodies_split_on_sentences_with_offsets() {
        let body = (0..100).map(|i| format!("Sentence number {i} is here.")).collect::<Vec<_>>().join(" ");
        let chunks = chunk_text("Doc", &body, 50);
        assert!(chunks.len() >= 5);
        for c in &chunks {
            assert!(c.text.starts_with("Doc\n"));
            assert!(body[c.start..c.end].trim().ends_with('.'), "{:?}", &body[c.start..c.end]);
        }
        assert_eq!(chunks.last().unwrap().end, body.len());
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        assert_eq!(chunk_text("", "", 220).len(), 1);
        assert_eq!(chunk_text("", "🚀🔥", 220)[0].text, "🚀🔥");
        // Japanese has no spaces: it is cut by characters, not left as one huge word.
        let jp = "東京で会議があります。".repeat(200);
        let chunks = chunk_text("", &jp, 220);
        assert!(chunks.len() >= 10, "{}", chunks.len());
        assert!(chunks.iter().all(|c| c.text.chars().count() <= 220));
        let many = "word ".repeat(100_000);
        let chunks = chunk_text("t", &many, 220);
        assert_eq!(chunks.len(), 100_000_usize.div_ceil(220));
    }
}

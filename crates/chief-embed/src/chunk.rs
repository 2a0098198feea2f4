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

#[cfg(test)]
mod tests {
    use super::*;

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

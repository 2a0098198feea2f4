//! An incremental Server-Sent Events parser: bytes arrive in arbitrary pieces (a
//! network read can split a line, a UTF-8 character or an event), events come out
//! whole.

/// One event: its `event:` name (empty when absent) and joined `data:` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Feed it bytes; take out complete events.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    event: String,
    data: Vec<String>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes and returns the events they completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(nl) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() || !self.event.is_empty() {
                    out.push(SseEvent {
                        event: std::mem::take(&mut self.event),
                        data: std::mem::take(&mut self.data).join("\n"),
                    });
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) =
                line.split_once(':').map(|(f, v)| (f, v.strip_prefix(' ').unwrap_or(v))).unwrap_or((line, ""));
            match field {
                "event" => self.event = value.to_string(),
                "data" => self.data.push(value.to_string()),
                _ => {}
            }
        }
        out
    }

    /// Flushes an event left without its closing blank line at end of stream.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let rest = std::mem::take(&mut self.buf);
        let mut out = self.push(&rest);
        if !rest.is_empty() && !rest.ends_with(b"\n") {
            out.extend(self.push(b"\n"));
        }
        if !self.data.is_empty() {
            out.push(SseEvent {
                event: std::mem::take(&mut self.event),
                data: std::mem::take(&mut self.data).join("\n"),
            });
        }
        out.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_split_point_gives_the_same_events() {
        let stream = "event: message_start\ndata: {\"a\":1}\n\n: keep-alive\n\ndata: {\"t\":\"héllo\"}\ndata: more\n\ndata: [DONE]\n\n".as_bytes();
        let mut whole = SseParser::new();
        let expected = whole.push(stream);
        assert_eq!(expected.len(), 3);
        assert_eq!(expected[0].event, "message_start");
        assert_eq!(expected[1].data, "{\"t\":\"héllo\"}\nmore");
        assert_eq!(expected[2].data, "[DONE]");
        for a in 0..stream.len() {
            for b in a..stream.len() {
                let mut p = SseParser::new();
                let mut got = p.push(&stream[..a]);
                got.extend(p.push(&stream[a..b]));
                got.extend(p.push(&stream[b..]));
                assert_eq!(got, expected, "split at {a},{b}");
            }
        }
    }

    #[test]
    fn crlf_and_unterminated_last_event() {
        let mut p = SseParser::new();
        assert!(p.push(b"data: x\r\n").is_empty());
        assert_eq!(p.finish().map(|e| e.data), Some("x".to_string()));
    }
}

//! Renderers from each source's markup to the plain text Chief indexes and shows:
//! Slack mrkdwn, Jira's Atlassian Document Format, GitHub Markdown, and HTML.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

/// Plain text plus the people and channels the markup mentioned (source ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub user_mentions: Vec<String>,
    pub channel_mentions: Vec<String>,
}

/// Decodes the three entities Slack escapes, and the common HTML ones.
pub fn unescape_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn slack_token_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"<([^<>]*)>").expect("valid regex"))
}

/// Renders Slack mrkdwn to plain text. `user_name` resolves a user id to a display name.
///
/// ```
/// use chief_core::text::slack_mrkdwn;
/// let r = slack_mrkdwn("<@U1> see <https://x.io|the doc> in <#C2|ops> &amp; go", &|id| (id == "U1").then(|| "Ana".to_string()));
/// assert_eq!(r.text, "@Ana see the doc (https://x.io) in #ops & go");
/// assert_eq!(r.user_mentions, vec!["U1"]);
/// ```
pub fn slack_mrkdwn(text: &str, user_name: &dyn Fn(&str) -> Option<String>) -> Rendered {
    let mut out = Rendered::default();
    let rendered = slack_token_re().replace_all(text, |c: &regex::Captures<'_>| {
        let inner = &c[1];
        let (target, label) = match inner.split_once('|') {
            Some((t, l)) => (t, Some(l)),
            None => (inner, None),
        };
        if let Some(id) = target.strip_prefix('@') {
            out.user_mentions.push(id.to_string());
            let name = user_name(id).or_else(|| label.map(str::to_string)).unwrap_or_else(|| id.to_string());
            format!("@{name}")
        } else if let Some(id) = target.strip_prefix('#') {
            out.channel_mentions.push(id.to_string());
            format!("#{}", label.unwrap_or(id))
        } else if let Some(special) = target.strip_prefix('!') {
            let name = special.split('^').next().unwrap_or(special);
            match label {
                Some(l) => l.to_string(),
                None => format!("@{name}"),
            }
        } else if let Some(addr) = target.strip_prefix("mailto:") {
            label.unwrap_or(addr).to_string()
        } else {
            match label {
                Some(l) if l != target => format!("{l} ({target})"),
                _ => target.to_string(),
            }
        }
    });
    out.text = unescape_entities(&rendered);
    out
}

/// Renders Atlassian Document Format (Jira Cloud descriptions and comments) to text.
/// Mentioned Jira account ids are returned in `user_mentions`.
pub fn adf_to_text(doc: &Value) -> Rendered {
    let mut out = Rendered::default();
    let mut buf = String::new();
    adf_walk(doc, &mut buf, &mut out, 0);
    out.text = collapse_blank_lines(buf.trim());
    out
}

fn adf_walk(node: &Value, buf: &mut String, out: &mut Rendered, depth: usize) {
    if depth > 64 {
        return;
    }
    let ty = node.get("type").and_then(Value::as_str).unwrap_or("");
    let attrs = node.get("attrs");
    let attr = |k: &str| attrs.and_then(|a| a.get(k)).and_then(Value::as_str);
    match ty {
        "text" => buf.push_str(node.get("text").and_then(Value::as_str).unwrap_or("")),
        "hardBreak" => buf.push('\n'),
        "mention" => {
            if let Some(id) = attr("id") {
                out.user_mentions.push(id.to_string());
            }
            let t = attr("text").unwrap_or("@someone");
            if !t.starts_with('@') {
                buf.push('@');
            }
            buf.push_str(t);
        }
        "emoji" => buf.push_str(attr("text").or(attr("shortName")).unwrap_or("")),
        "inlineCard" | "blockCard" => buf.push_str(attr("url").unwrap_or("")),
        "status" => buf.push_str(attr("text").unwrap_or("")),
        "date" => buf.push_str(attr("timestamp").unwrap_or("")),
        _ => {}
    }
    if ty == "listItem" {
        buf.push_str("- ");
    }
    if let Some(children) = node.get("content").and_then(Value::as_array) {
        for child in children {
            adf_walk(child, buf, out, depth + 1);
        }
    }
    if matches!(ty, "paragraph" | "heading" | "codeBlock" | "blockquote" | "listItem" | "rule" | "tableRow" | "panel") {
        if !buf.ends_with('\n') {
            buf.push('\n');
        }
    } else if matches!(ty, "tableCell" | "tableHeader") {
        buf.push_str(" | ");
    }
}

fn collapse_blank_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.trim_end().to_string()
}

fn md_link_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(!?)\[([^\]]*)\]\(([^)\s]+)[^)]*\)").expect("valid regex"))
}

fn html_comment_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?s)<!--.*?-->").expect("valid regex"))
}

fn gh_mention_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?:^|[^A-Za-z0-9_`/])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))").expect("valid regex"))
}

/// Renders GitHub-flavoured Markdown to readable text; `@login` mentions are returned.
pub fn markdown_to_text(md: &str) -> Rendered {
    let no_comments = html_comment_re().replace_all(md, "");
    let text = md_link_re().replace_all(&no_comments, |c: &regex::Captures<'_>| {
        if &c[1] == "!" {
            c[2].to_string()
        } else if c[2] == c[3] {
            c[3].to_string()
        } else {
            format!("{} ({})", &c[2], &c[3])
        }
    });
    let text = text.replace("\r\n", "\n");
    let user_mentions = gh_mention_re().captures_iter(&text).map(|c| c[1].to_lowercase()).collect();
    Rendered { text: collapse_blank_lines(text.trim()), user_mentions, channel_mentions: Vec::new() }
}

fn tag_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?is)<(script|style)[^>]*>.*?</(script|style)>|<br\s*/?>|</p>|</div>|</li>|<[^>]+>")
            .expect("valid regex")
    })
}

/// Renders HTML (email bodies, calendar descriptions) to text.
pub fn html_to_text(html: &str) -> String {
    let text = tag_re().replace_all(html, |c: &regex::Captures<'_>| {
        let t = c[0].to_ascii_lowercase();
        if t.starts_with("<br") || t.starts_with("</p") || t.starts_with("</div") || t.starts_with("</li") {
            "\n".to_string()
        } else {
            String::new()
        }
    });
    collapse_blank_lines(unescape_entities(&text).trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slack_specials_and_unknown_users() {
        let r = slack_mrkdwn("<!here> ping <@U9|bob> <mailto:a@b.c|a@b.c> 1 &lt; 2", &|_| None);
        assert_eq!(r.text, "@here ping @bob a@b.c 1 < 2");
        assert_eq!(r.user_mentions, vec!["U9"]);
    }

    #[test]
    fn adf_renders_paragraphs_mentions_and_lists() {
        let doc = json!({"type":"doc","version":1,"content":[
            {"type":"paragraph","content":[{"type":"text","text":"Hi "},{"type":"mention","attrs":{"id":"acc-1","text":"@Ana"}}]},
            {"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"one"}]}]}]}
        ]});
        let r = adf_to_text(&doc);
        assert_eq!(r.text, "Hi @Ana\n- one");
        assert_eq!(r.user_mentions, vec!["acc-1"]);
    }

    #[test]
    fn markdown_links_images_and_mentions() {
        let r = markdown_to_text("Fixes [PAY-1](https://j/browse/PAY-1) ![shot](x.png) cc @Maya-Chen <!-- hidden -->");
        assert_eq!(r.text, "Fixes PAY-1 (https://j/browse/PAY-1) shot cc @Maya-Chen");
        assert_eq!(r.user_mentions, vec!["maya-chen"]);
    }

    #[test]
    fn html_strips_tags_and_scripts() {
        assert_eq!(html_to_text("<p>a &amp; b</p><script>x()</script><br>c"), "a & b\n\nc");
    }
}

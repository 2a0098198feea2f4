//! Contract tests: the requests our providers build have every property the official
//! API descriptions require and none they don't declare; the parsers accept the
//! descriptions' response shapes.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use serde_json::{Value, json};

fn shared(rel: &str) -> std::path::PathBuf {
    let dir = std::env::var_os("CHIEF_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let p = dir.join(rel);
    assert!(p.exists(), "the shared spec {} is required", p.display());
    p
}

fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r.trim_start_matches("#/").split('/').fold(spec, |node, key| &node[key]),
        None => v,
    }
}

/// Required and declared properties of a schema, following `$ref` and `allOf`.
fn props(spec: &Value, schema: &Value) -> (Vec<String>, Vec<String>) {
    let s = resolve(spec, schema);
    let mut required: Vec<String> =
        s["required"].as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_string)).collect();
    let mut declared: Vec<String> =
        s["properties"].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    for part in s["allOf"].as_array().into_iter().flatten() {
        let (r, d) = props(spec, part);
        required.extend(r);
        declared.extend(d);
    }
    (required, declared)
}

fn check(spec: &Value, schema: &Value, body: &Value) {
    let (required, declared) = props(spec, schema);
    assert!(!declared.is_empty(), "schema has no properties");
    for r in &required {
        assert!(body.get(r).is_some(), "request lacks required {r}: {body}");
    }
    for k in body.as_object().unwrap().keys() {
        assert!(declared.contains(k), "request sends {k}, which the spec does not declare");
    }
}

#[test]
fn anthropic_requests_match_the_messages_spec() {
    let spec: Value = serde_json::from_slice(
        &std::fs::read(shared("specs/anthropic/anthropic_messages.trimmed.sanitized.json")).unwrap(),
    )
    .unwrap();
    let schema = &spec["paths"]["/v1/messages"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    for (stream, json_mode) in [(false, false), (true, false), (false, true)] {
        let body = chief_llm::contract::anthropic_body(stream, json_mode);
        check(&spec, schema, &body);
    }
}

#[test]
fn openai_requests_match_the_chat_completions_spec() {
    let text = std::fs::read_to_string(shared("specs/openai/openai.trimmed.sanitized.yaml")).unwrap();
    // The spec bounds `seed` by the full 64-bit range, which a JSON number can't hold.
    let text: String = text
        .lines()
        .map(|l| {
            let t = l.trim_start();
            let huge = (t.starts_with("minimum:") || t.starts_with("maximum:")) && t.trim_end().len() > 25;
            if huge { format!("{}0", &l[..l.find(':').unwrap_or(0) + 2]) } else { l.to_string() }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let spec: Value = serde_yaml::from_str(&text).unwrap();
    let schema = &spec["paths"]["/chat/completions"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    for (stream, json_mode) in [(false, false), (true, false), (false, true)] {
        let body = chief_llm::contract::openai_body(stream, json_mode);
        check(&spec, schema, &body);
    }
    let _ = json!(null);

    // The parsers accept the spec's example responses, streamed and not.
    let examples =
        spec["paths"]["/chat/completions"]["post"]["x-oaiMeta"]["examples"].as_array().expect("examples in the spec");
    let mut parsed = 0;
    for ex in examples {
        let Some(resp) = ex["response"].as_str() else { continue };
        if let Ok(v) = serde_json::from_str::<Value>(resp) {
            let p = chief_llm::contract_parsers::openai_response(&v).unwrap_or_else(|e| panic!("{}: {e}", ex["title"]));
            assert!(p.usage.input_tokens > 0, "{}", ex["title"]);
            parsed += 1;
        } else {
            let chunks: Vec<&str> = resp.lines().filter(|l| l.trim_start().starts_with('{')).collect();
            let p =
                chief_llm::contract_parsers::openai_stream(&chunks).unwrap_or_else(|e| panic!("{}: {e}", ex["title"]));
            assert!(!p.text.is_empty(), "{}", ex["title"]);
            parsed += 1;
        }
    }
    assert!(parsed >= 4, "parsed {parsed} examples");
}

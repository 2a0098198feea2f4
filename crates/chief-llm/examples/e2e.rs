//! End-to-end run against a real OpenAI-compatible server (see scripts/llm-e2e.sh):
//! a completion, a stream, JSON mode with a schema, and cancelling a stream. Exits
//! non-zero, saying what failed, on any failure.

use std::time::{Duration, Instant};

use chief_llm::{ChatRequest, JsonSchema, LlmClient, Message, ProviderConfig, ProviderKind};

fn fail(what: &str) -> ! {
    eprintln!("e2e FAILED: {what}");
    std::process::exit(1);
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base_url = args.next().unwrap_or_else(|| fail("usage: e2e BASE_URL MODEL"));
    let model = args.next().unwrap_or_else(|| "smollm2".into());
    let cfg = ProviderConfig {
        name: "local".into(),
        kind: ProviderKind::OpenaiCompatible,
        model,
        base_url,
        timeout_secs: 120,
        ..Default::default()
    };
    let llm = LlmClient::new(vec![(cfg, None)], false);

    let mut req = ChatRequest::new(vec![Message::system("You are terse."), Message::user("Say hello in three words.")]);
    req.max_tokens = 16;
    let t = Instant::now();
    let c = llm.complete(&req).await.unwrap_or_else(|e| fail(&format!("completion: {e}")));
    if c.text.trim().is_empty() || c.usage.output_tokens == 0 {
        fail(&format!("empty completion {c:?}"));
    }
    println!(
        "completion: {:?} ({} in / {} out tokens, {} ms)",
        c.text.trim(),
        c.usage.input_tokens,
        c.usage.output_tokens,
        t.elapsed().as_millis()
    );

    let mut pieces = 0;
    let mut first: Option<Duration> = None;
    let t = Instant::now();
    let s = llm
        .stream(&req, &mut |_: &str| {
            pieces += 1;
            first.get_or_insert(t.elapsed());
        })
        .await
        .unwrap_or_else(|e| fail(&format!("stream: {e}")));
    if pieces < 2 {
        fail(&format!("the stream came in {pieces} pieces"));
    }
    println!(
        "stream: {pieces} pieces, first after {} ms, text {:?}",
        first.map_or(0, |d| d.as_millis()),
        s.text.trim()
    );

    #[derive(serde::Deserialize, Debug)]
    struct Person {
        name: String,
    }
    let mut jreq = ChatRequest::new(vec![Message::user("Give a JSON object with a field name set to a first name.")]);
    jreq.max_tokens = 48;
    jreq.json_schema = Some(JsonSchema {
        name: "person".into(),
        schema: serde_json::json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}),
    });
    let (p, _): (Person, _) = llm.complete_json(&jreq).await.unwrap_or_else(|e| fail(&format!("json mode: {e}")));
    println!("json mode: name = {:?}", p.name);

    // Cancellation: dropping the future stops the request; the client stays usable.
    // A small model sometimes answers a long request in a few words; only a stream
    // that is still running can show cancellation, so try a few prompts.
    let prompts = [
        "Count from one to two hundred in words.",
        "Write a long story about a lighthouse keeper, at least five paragraphs.",
        "List two hundred different animals, one per line.",
    ];
    let mut was_cancelled = false;
    for p in prompts {
        let mut long = ChatRequest::new(vec![Message::user(p)]);
        long.max_tokens = 600;
        let run = tokio::time::timeout(Duration::from_millis(300), llm.stream(&long, &mut |_: &str| {})).await;
        if run.is_err() {
            was_cancelled = true;
            break;
        }
    }
    if !was_cancelled {
        fail("three long streams finished before they could be cancelled");
    }
    let again = llm.complete(&req).await.unwrap_or_else(|e| fail(&format!("after cancel: {e}")));
    println!("cancelled a stream after 300 ms; next call answered {:?}", again.text.trim());
    println!("e2e ok");
}

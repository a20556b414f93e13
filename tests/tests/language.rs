//! The visitor's language as the widget speaks it: taken from the browser, changed only by
//! words that clearly are another language — never by an order number or a code.

use integration::{Edge, Visitor};

async fn language(edge: &Edge, v: &Visitor) -> Option<String> {
    Visitor::resume(edge, &v.conversation_id, &v.token, 0).await.welcome.visitor.language
}

#[tokio::test(flavor = "multi_thread")]
async fn codes_and_short_lines_keep_the_browsers_language_and_real_words_change_it() {
    let edge = Edge::start();
    let site = edge.site("lang", &[]);
    let mut visitor = Visitor::join(&edge, &site).await;
    // Lines that turned an English widget French before: a code, then a few English words.
    for (i, line) in [
        "addr-jc9wcz: a person please",
        "ABX-7731: a person please",
        "viewer-kqzpx: a human, please",
    ]
    .iter()
    .enumerate()
    {
        visitor.say(&format!("c{i}"), line).await;
        assert_eq!(language(&edge, &visitor).await.as_deref(), Some("en"), "after {line:?}");
    }
    // Learned as the message is stored, before its acknowledgement.
    visitor.say("es", "Hola, ¿cuánto tiempo tarda el envío de mi pedido a Madrid?").await;
    assert_eq!(language(&edge, &visitor).await.as_deref(), Some("es"));
}

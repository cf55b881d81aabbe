//! The words of a Markdown article without its markup (what search indexes and snippets
//! quote), and the snippet of a found article: the sentence around the first word the
//! query looked for.

use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options};

use super::stem::{self, Language, Query};

/// The text of `markdown` as a reader sees it: paragraphs, headings, list items and table
/// cells on lines of their own, code as written, link and image addresses left out.
pub fn plain_text(markdown: &str) -> String {
    let arena = Arena::new();
    let mut options = Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.tasklist = true;
    let root = comrak::parse_document(&arena, markdown, &options);
    let mut out = String::with_capacity(markdown.len());
    collect(root, &mut out);
    out.split('\n')
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn collect<'a>(node: &'a AstNode<'a>, out: &mut String) {
    let block = {
        let data = node.data.borrow();
        match &data.value {
            NodeValue::Text(t) => {
                out.push_str(t);
                return;
            }
            NodeValue::Code(c) => {
                out.push_str(&c.literal);
                return;
            }
            NodeValue::CodeBlock(c) => {
                out.push('\n');
                out.push_str(&c.literal);
                out.push('\n');
                return;
            }
            // Raw HTML is not text a reader sees (the sanitizer drops most of it).
            NodeValue::HtmlBlock(_) | NodeValue::HtmlInline(_) => return,
            NodeValue::SoftBreak | NodeValue::LineBreak => {
                out.push(' ');
                return;
            }
            NodeValue::Paragraph
            | NodeValue::Heading(_)
            | NodeValue::Item(_)
            | NodeValue::TableCell
            | NodeValue::BlockQuote => true,
            _ => false,
        }
    };
    if block {
        out.push('\n');
    }
    for child in node.children() {
        collect(child, out);
    }
    if block {
        out.push('\n');
    }
}

/// Words of context a snippet gives before the first match.
const BEFORE: usize = 8;
/// Words a snippet has at most.
const WORDS: usize = 30;

/// About [`WORDS`] words of `plain` around the first word whose term `query` looks for
/// (the start of the text when none is), with `…` where the text goes on.
pub fn snippet(language: Language, plain: &str, query: &Query) -> String {
    let words: Vec<&str> = plain.split_whitespace().collect();
    let hit = words
        .iter()
        .position(|w| stem::terms(language, w).iter().any(|t| query.matches(t)));
    let start = hit.map_or(0, |i| i.saturating_sub(BEFORE));
    let end = (start + WORDS).min(words.len());
    let mut s = String::new();
    if start > 0 {
        s.push_str("… ");
    }
    s.push_str(&words[start..end].join(" "));
    if end < words.len() {
        s.push_str(" …");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_goes_and_words_stay() {
        let md = "# Restart a server\n\nOpen the **console**, then [click here](https://evil.test/x).\n\n- one\n- two `reboot`\n\n<script>alert(1)</script>\n";
        let text = plain_text(md);
        assert_eq!(
            text,
            "Restart a server\nOpen the console, then click here.\none\ntwo reboot"
        );
    }

    #[test]
    fn the_snippet_starts_near_the_first_match() {
        let words: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let mut text = words.join(" ");
        text.push_str(" the servers restart nightly and then more words follow here");
        let q = stem::query(Language::En, "server ");
        let s = snippet(Language::En, &text, &q);
        assert!(s.starts_with("… w93 "), "{s}");
        assert!(s.contains("servers restart"), "{s}");
        let none = snippet(Language::En, &text, &stem::query(Language::En, "invoice "));
        assert!(none.starts_with("w0 w1 ") && none.ends_with(" …"), "{none}");
        assert_eq!(none.split_whitespace().count(), WORDS + 1);
    }
}

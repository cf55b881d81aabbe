//! Notice templates turned into plans: the template's output for one shape of notice (how
//! many paragraphs, services, offers and closing lines, whether there is a title line) is
//! literal text with the view's strings at fixed places. A plan is learnt once per shape by
//! rendering the template with markers in place of the strings, checked once against a real
//! rendering with awkward strings, and then filled for every notice of that shape, which
//! costs a copy of each string instead of a run of the template engine. The templates stay
//! the source of every word and tag; a template whose output is not such a fill-in (a filter
//! on a value, say) fails the check and keeps being rendered by minijinja.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minijinja::Environment;

use super::{render_one, ServiceView, View};
use crate::NotifyError;

/// What decides the control flow of the notice templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Shape {
    paragraphs: usize,
    title: bool,
    services: usize,
    offers: usize,
    closing: usize,
}

impl Shape {
    pub(super) fn of(view: &View<'_>) -> Self {
        Self {
            paragraphs: view.paragraphs.len(),
            // An empty string is false in a template's `if`.
            title: view.title_line.as_deref().is_some_and(|t| !t.is_empty()),
            services: view.services.len(),
            offers: view.offers.len(),
            closing: view.closing.len(),
        }
    }
}

/// The view's strings in a fixed order, the order markers are numbered in.
fn strings<'v>(view: &'v View<'_>) -> Vec<&'v str> {
    let mut s = vec![view.lang, view.subject, &view.greeting, &view.intro];
    s.extend(view.paragraphs.iter().map(String::as_str));
    s.push(view.title_line.as_deref().unwrap_or(""));
    for service in &view.services {
        s.extend([
            service.name.as_str(),
            service.id.as_str(),
            service.detail.as_str(),
        ]);
    }
    s.extend(view.offers.iter().map(String::as_str));
    s.extend(view.closing.iter().map(String::as_str));
    s.extend([view.next.as_str(), view.url.as_str(), view.footer.as_str()]);
    s
}

/// A view of `shape` whose every string is made by `value(n)`, `n` its place in [`strings`].
fn view_of(shape: Shape, value: impl Fn(usize) -> String) -> (String, View<'static>) {
    let mut n = 0;
    let mut next = || {
        n += 1;
        value(n - 1)
    };
    let lang = next();
    let subject = next();
    let greeting = next();
    let intro = next();
    let paragraphs = (0..shape.paragraphs).map(|_| next()).collect();
    let title_line = next();
    let services = (0..shape.services)
        .map(|_| ServiceView {
            name: next(),
            id: next(),
            detail: next(),
        })
        .collect();
    let offers = (0..shape.offers).map(|_| next()).collect();
    let closing = (0..shape.closing).map(|_| next()).collect();
    let view = View {
        lang: "",
        subject: "",
        greeting,
        intro,
        paragraphs,
        title_line: shape.title.then_some(title_line),
        services,
        offers,
        closing,
        next: next(),
        url: next(),
        footer: next(),
    };
    (format!("{lang}\u{0}{subject}"), view)
}

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Renders `name` for a view of `shape` built by `value`.
fn render_shape(
    env: &Environment<'static>,
    name: &'static str,
    shape: Shape,
    value: impl Fn(usize) -> String,
) -> Result<String, NotifyError> {
    let (head, view) = view_of(shape, value);
    let (lang, subject) = head.split_once('\u{0}').unwrap_or(("", ""));
    let view = View {
        lang,
        subject,
        ..view
    };
    render_one(env, name, &view)
}

/// Literal text and the places of the view's strings.
#[derive(Debug)]
pub(super) struct Plan {
    pieces: Vec<Piece>,
    escape: bool,
}

#[derive(Debug)]
enum Piece {
    Text(String),
    Field(usize),
}

impl Plan {
    /// Learns the plan of template `name` for `shape`, or `None` when the template's output
    /// is not a plain fill-in of the view's strings.
    fn learn(
        env: &Environment<'static>,
        name: &'static str,
        shape: Shape,
    ) -> Result<Option<Self>, NotifyError> {
        let template = env.get_template(name).map_err(|e| NotifyError::Template {
            name,
            detail: e.to_string(),
        })?;
        let source = template.source();
        if !only_fill_ins(source) {
            return Ok(None);
        }
        let probe = render_shape(env, name, shape, |n| format!("{OPEN}{n}{CLOSE}"))?;
        let mut pieces = Vec::new();
        let mut rest = probe.as_str();
        while let Some(at) = rest.find(OPEN) {
            if at > 0 {
                pieces.push(Piece::Text(rest[..at].to_owned()));
            }
            let after = &rest[at + OPEN.len_utf8()..];
            let Some(end) = after.find(CLOSE) else {
                return Ok(None);
            };
            let Ok(n) = after[..end].parse() else {
                return Ok(None);
            };
            pieces.push(Piece::Field(n));
            rest = &after[end + CLOSE.len_utf8()..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        let plan = Self {
            pieces,
            escape: name.ends_with(".html"),
        };
        // Awkward strings: markup, quotes, slashes, non-ASCII, line breaks and braces.
        let awkward = |n: usize| format!("<b a='{n}'>&\"/{n}/ é\r\n{{{{x}}}} Я{n}");
        let expected = render_shape(env, name, shape, awkward)?;
        let (head, view) = view_of(shape, awkward);
        let (lang, subject) = head.split_once('\u{0}').unwrap_or(("", ""));
        let view = View {
            lang,
            subject,
            ..view
        };
        Ok((plan.fill(&strings(&view)).as_deref() == Some(expected.as_str())).then_some(plan))
    }

    /// The template's output for these strings; `None` if a place has no string.
    fn fill(&self, strings: &[&str]) -> Option<String> {
        let size: usize = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Field(n) => strings.get(*n).map_or(0, |s| s.len() + s.len() / 8),
            })
            .sum();
        let mut out = String::with_capacity(size);
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(n) if self.escape => escape_html(strings.get(*n)?, &mut out),
                Piece::Field(n) => out.push_str(strings.get(*n)?),
            }
        }
        Some(out)
    }
}

/// Expressions and tags whose output depends on the view only through its strings as they
/// are and through the shape: anything else (a filter, a comparison) could make the output
/// differ from the plan for strings the check did not try.
const FILL_INS: [&str; 14] = [
    "lang",
    "subject",
    "greeting",
    "intro",
    "title_line",
    "next",
    "url",
    "footer",
    "p",
    "o",
    "s.name",
    "s.id",
    "s.detail",
    "loop.index",
];
const TAGS: [&str; 9] = [
    "for p in paragraphs",
    "for s in services",
    "for o in offers",
    "for p in closing",
    "endfor",
    "if title_line",
    "if services",
    "if offers",
    "endif",
];

/// Whether every expression and tag of `source` is one of [`FILL_INS`] or [`TAGS`].
fn only_fill_ins(source: &str) -> bool {
    let mut rest = source;
    while let Some(at) = rest.find('{') {
        rest = &rest[at + 1..];
        let (close, allowed): (&str, &[&str]) = if let Some(r) = rest.strip_prefix('{') {
            rest = r;
            ("}}", &FILL_INS)
        } else if let Some(r) = rest.strip_prefix('%') {
            rest = r;
            ("%}", &TAGS)
        } else if rest.starts_with('#') {
            return false;
        } else {
            continue;
        };
        let Some(end) = rest.find(close) else {
            return false;
        };
        if !allowed.contains(&rest[..end].trim()) {
            return false;
        }
        rest = &rest[end + close.len()..];
    }
    true
}

/// minijinja's HTML escaping.
fn escape_html(s: &str, out: &mut String) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            b'/' => "&#x2f;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// A shape's plan, or `None` where the template must be rendered.
type Learnt = Option<Arc<Plan>>;

/// Plans learnt so far, per template and shape; `None` where the template must be rendered.
#[derive(Default)]
pub(crate) struct Plans {
    learnt: Mutex<HashMap<(&'static str, Shape), Learnt>>,
}

impl Plans {
    /// Template `name` for `view`: from its plan, else rendered by minijinja.
    pub(super) fn render(
        &self,
        env: &Environment<'static>,
        name: &'static str,
        view: &View<'_>,
    ) -> Result<String, NotifyError> {
        let shape = Shape::of(view);
        let plan = self.plan(env, name, shape)?;
        if let Some(text) = plan.and_then(|p| p.fill(&strings(view))) {
            return Ok(text);
        }
        render_one(env, name, view)
    }

    fn plan(
        &self,
        env: &Environment<'static>,
        name: &'static str,
        shape: Shape,
    ) -> Result<Option<Arc<Plan>>, NotifyError> {
        let mut learnt = self
            .learnt
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(plan) = learnt.get(&(name, shape)) {
            return Ok(plan.clone());
        }
        // Shapes are few (counts of lines), but a hostile caller must not grow this forever.
        if learnt.len() >= 4096 {
            return Ok(None);
        }
        let plan = Plan::learn(env, name, shape)?.map(Arc::new);
        learnt.insert((name, shape), plan.clone());
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::templates;

    fn shapes() -> impl Iterator<Item = Shape> {
        (0..3).flat_map(|paragraphs| {
            [0, 1, 2, 17].into_iter().flat_map(move |services| {
                (0..3).flat_map(move |offers| {
                    (0..2).flat_map(move |closing| {
                        [false, true].map(move |title| Shape {
                            paragraphs,
                            title,
                            services,
                            offers,
                            closing,
                        })
                    })
                })
            })
        })
    }

    #[test]
    fn the_notice_templates_have_plans_for_every_shape() {
        let env = templates().unwrap();
        for shape in shapes() {
            for name in ["notice.txt", "notice.html"] {
                let plan = Plan::learn(&env, name, shape).unwrap();
                assert!(plan.is_some(), "{name} {shape:?}");
            }
        }
    }

    #[test]
    fn a_template_that_transforms_a_value_has_no_plan() {
        let mut env = Environment::new();
        for source in [
            "<p>{{ greeting|upper }}</p>",
            "{{ intro|length }}",
            "{% if next == 'x' %}x{% endif %}{{ footer }}",
            "{%- if offers %}{% endif %}",
            "{{ greeting }}{# note #}",
            "{{ url|replace('a', 'b') }}",
        ] {
            env.add_template("notice.html", source).unwrap();
            let shape = Shape {
                paragraphs: 1,
                title: true,
                services: 2,
                offers: 0,
                closing: 0,
            };
            assert!(
                Plan::learn(&env, "notice.html", shape).unwrap().is_none(),
                "{source}"
            );
        }
    }

    #[test]
    fn html_escaping_matches_minijinja() {
        let mut out = String::new();
        escape_html("a<b>&\"c'/é", &mut out);
        assert_eq!(out, "a&lt;b&gt;&amp;&quot;c&#x27;&#x2f;é");
    }
}

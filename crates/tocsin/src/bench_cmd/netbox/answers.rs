//! The served answer set: every list endpoint's objects serialised once, at generation, into
//! one arena, and the pages NetBox would send for a query (filters, `fields`, `brief`,
//! `limit`/`offset` with absolute `next`/`previous` links) cut from it.

use std::io::Write;

/// NetBox's default `MAX_PAGE_SIZE`.
pub(super) const MAX_PAGE_SIZE: usize = 1000;
/// NetBox's `PAGINATE_COUNT` default.
const DEFAULT_LIMIT: usize = 50;
/// The keys `brief=true` keeps.
const BRIEF: [&str; 6] = ["id", "url", "display", "name", "slug", "description"];

/// Which query parameter filters an endpoint's objects by their `kind`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum KindFilter {
    /// No such filter: the parameter is ignored, as django-filter ignores unknown ones.
    None,
    /// `type=VALUE` (interfaces).
    Type,
    /// `object_type=app.model` (contact assignments).
    ObjectType,
}

/// One list endpoint's objects in id order. URLs are stored without their scheme and host:
/// `bases` holds where the request's base URL goes, so a page is copied, not re-serialised.
pub(super) struct Endpoint {
    pub(super) path: &'static str,
    bytes: Vec<u8>,
    /// Object `i` is `bytes[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    bases: Vec<usize>,
    /// Object `i`'s base positions are `bases[base_starts[i]..base_starts[i + 1]]`.
    base_starts: Vec<usize>,
    /// Where each top-level member starts, from its object's start, so that `fields` picks
    /// members without reading the objects: object `i`'s are
    /// `members[member_starts[i]..member_starts[i + 1]]`.
    members: Vec<u32>,
    member_starts: Vec<usize>,
    /// Whether objects carry a `cable` (the `cabled` filter applies), and each one's state.
    has_cable: bool,
    cabled: Vec<bool>,
    filter: KindFilter,
    kinds: Vec<u16>,
    kind_names: Vec<String>,
}

impl Endpoint {
    pub(super) fn new(path: &'static str, has_cable: bool, filter: KindFilter) -> Self {
        Endpoint {
            path,
            bytes: Vec::new(),
            starts: vec![0],
            bases: Vec::new(),
            base_starts: vec![0],
            members: Vec::new(),
            member_starts: vec![0],
            has_cable,
            cabled: Vec::new(),
            filter,
            kinds: Vec::new(),
            kind_names: Vec::new(),
        }
    }

    /// Appends one object written by `f`; `cabled` and `kind` are what the filters see.
    pub(super) fn push(&mut self, cabled: bool, kind: &str, f: impl FnOnce(&mut Obj)) {
        let origin = self.bytes.len();
        self.bytes.push(b'{');
        f(&mut Obj {
            bytes: &mut self.bytes,
            bases: &mut self.bases,
            first: true,
            members: Some((origin, &mut self.members)),
        });
        self.bytes.push(b'}');
        self.starts.push(self.bytes.len());
        self.base_starts.push(self.bases.len());
        self.member_starts.push(self.members.len());
        self.cabled.push(cabled);
        let k = match self.kind_names.iter().position(|n| n == kind) {
            Some(k) => k,
            None => {
                self.kind_names.push(kind.to_owned());
                self.kind_names.len() - 1
            }
        };
        self.kinds.push(u16::try_from(k).unwrap_or(u16::MAX));
    }

    pub(super) fn filter(&self) -> KindFilter {
        self.filter
    }

    pub(super) fn len(&self) -> usize {
        self.cabled.len()
    }

    /// Stored bytes (without base URLs).
    pub(super) fn stored_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Object `i` as stored: valid JSON whose URLs are relative.
    #[cfg(test)]
    pub(super) fn object(&self, i: usize) -> &[u8] {
        &self.bytes[self.starts[i]..self.starts[i + 1]]
    }

    fn matches(&self, i: usize, q: &Query) -> bool {
        if let (true, Some(c)) = (self.has_cable, q.cabled) {
            if self.cabled[i] != c {
                return false;
            }
        }
        if self.filter != KindFilter::None && !q.kinds.is_empty() {
            let name = &self.kind_names[usize::from(self.kinds[i])];
            if !q.kinds.iter().any(|k| k == name) {
                return false;
            }
        }
        true
    }

    /// Writes bytes `from..to` of the arena with `base` at each base position in between.
    fn copy(&self, i: usize, from: usize, to: usize, base: &[u8], out: &mut Vec<u8>) {
        let bases = &self.bases[self.base_starts[i]..self.base_starts[i + 1]];
        let first = bases.partition_point(|&b| b < from);
        let mut at = from;
        for &b in bases[first..].iter().take_while(|&&b| b < to) {
            out.extend_from_slice(&self.bytes[at..b]);
            out.extend_from_slice(base);
            at = b;
        }
        out.extend_from_slice(&self.bytes[at..to]);
    }

    /// Writes object `i`, keeping only the top-level keys in `keep` when given.
    fn write(&self, i: usize, keep: Option<&[String]>, base: &[u8], out: &mut Vec<u8>) {
        let (start, end) = (self.starts[i], self.starts[i + 1]);
        let Some(keep) = keep else {
            return self.copy(i, start, end, base, out);
        };
        out.push(b'{');
        let mut first = true;
        let members = &self.members[self.member_starts[i]..self.member_starts[i + 1]];
        for (j, &at) in members.iter().enumerate() {
            let from = start + at as usize;
            // A member ends before the next one's comma, the last before the closing brace.
            let to = members
                .get(j + 1)
                .map_or(end, |&next| start + next as usize)
                - 1;
            let key = &self.bytes[from + 1..to];
            let key = &key[..key.iter().position(|&c| c == b'"').unwrap_or(key.len())];
            if keep.iter().any(|k| k.as_bytes() == key) {
                if !first {
                    out.push(b',');
                }
                first = false;
                self.copy(i, from, to, base, out);
            }
        }
        out.push(b'}');
    }

    /// The page of `q` as NetBox renders it, with links under `base` (`http://host`).
    pub(super) fn page(&self, q: &Query, base: &str, out: &mut Vec<u8>) {
        let limit = q.limit();
        let matching = (0..self.len()).filter(|&i| self.matches(i, q));
        let count = if q.is_filtered() {
            matching.clone().count()
        } else {
            self.len()
        };
        let next = (q.offset + limit < count).then(|| q.link(base, self.path, q.offset + limit));
        let previous = (q.offset > 0).then(|| {
            // DRF drops `offset` when the previous page is the first one.
            let at = q.offset.saturating_sub(limit);
            q.link(base, self.path, at)
        });
        let _ = write!(out, "{{\"count\":{count},\"next\":");
        write_opt_str(out, next.as_deref());
        out.extend_from_slice(b",\"previous\":");
        write_opt_str(out, previous.as_deref());
        out.extend_from_slice(b",\"results\":[");
        let keep = match (&q.fields, q.brief) {
            (Some(f), _) => Some(f.clone()),
            (None, true) => Some(BRIEF.iter().map(|k| (*k).to_owned()).collect()),
            (None, false) => None,
        };
        for (n, i) in matching.skip(q.offset).take(limit).enumerate() {
            if n > 0 {
                out.push(b',');
            }
            self.write(i, keep.as_deref(), base.as_bytes(), out);
        }
        out.extend_from_slice(b"]}");
    }
}

fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            let _ = serde_json::to_writer(&mut *out, s);
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// The query parameters the bench's NetBox understands.
#[derive(Clone, Debug, Default)]
pub(super) struct Query {
    limit: Option<usize>,
    pub(super) offset: usize,
    pub(super) cabled: Option<bool>,
    pub(super) kinds: Vec<String>,
    pub(super) fields: Option<Vec<String>>,
    pub(super) brief: bool,
    /// Every parameter but `limit` and `offset`, as given, for the links.
    others: Vec<(String, String)>,
    /// The server's `MAX_PAGE_SIZE`.
    max: usize,
}

impl Query {
    /// Reads the decoded query parameters of a request to `filter`'s endpoint; a `cabled`
    /// that is not a boolean is refused as django-filter refuses it.
    pub(super) fn parse(
        params: &[(String, String)],
        filter: KindFilter,
        max_page_size: usize,
    ) -> Result<Query, String> {
        let mut q = Query {
            max: max_page_size.max(1),
            ..Query::default()
        };
        for (k, v) in params {
            match k.as_str() {
                // NetBox falls back to the default for a limit it cannot read; 0 is the maximum.
                "limit" => q.limit = v.parse().ok(),
                "offset" => q.offset = v.parse().unwrap_or(0),
                "cabled" => {
                    q.cabled = Some(match v.as_str() {
                        "true" | "True" | "1" => true,
                        "false" | "False" | "0" => false,
                        _ => return Err(format!("cabled: {v:?} is not a boolean")),
                    })
                }
                "type" if filter == KindFilter::Type => q.kinds.push(v.clone()),
                "object_type" if filter == KindFilter::ObjectType => q.kinds.push(v.clone()),
                "fields" => {
                    q.fields = Some(
                        v.split(',')
                            .map(str::trim)
                            .filter(|f| !f.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    )
                }
                "brief" => q.brief = matches!(v.as_str(), "true" | "True" | "1"),
                _ => {}
            }
            if k != "limit" && k != "offset" {
                q.others.push((k.clone(), v.clone()));
            }
        }
        Ok(q)
    }

    pub(super) fn limit(&self) -> usize {
        match self.limit {
            None => DEFAULT_LIMIT.min(self.max),
            Some(0) => self.max,
            Some(n) => n.min(self.max),
        }
    }

    fn is_filtered(&self) -> bool {
        self.cabled.is_some() || !self.kinds.is_empty()
    }

    /// DRF's `replace_query_param`: the parameters sorted by name, `limit` and `offset`
    /// replaced (`offset` dropped at 0).
    fn link(&self, base: &str, path: &str, offset: usize) -> String {
        let mut params: Vec<(&str, String)> = self
            .others
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        params.push(("limit", self.limit().to_string()));
        if offset > 0 {
            params.push(("offset", offset.to_string()));
        }
        params.sort_by(|a, b| a.0.cmp(b.0));
        let mut s = format!("{base}{path}?");
        for (n, (k, v)) in params.iter().enumerate() {
            if n > 0 {
                s.push('&');
            }
            encode(k, &mut s);
            s.push('=');
            encode(v, &mut s);
        }
        s
    }
}

/// `application/x-www-form-urlencoded` as Python's `urlencode` writes it.
fn encode(v: &str, out: &mut String) {
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// Writes one object's members in order; URLs are written relative, their base recorded.
pub(super) struct Obj<'a> {
    bytes: &'a mut Vec<u8>,
    bases: &'a mut Vec<usize>,
    first: bool,
    /// For a top-level object: where it starts, and where its members' offsets go.
    members: Option<(usize, &'a mut Vec<u32>)>,
}

impl Obj<'_> {
    fn key(&mut self, k: &str) {
        if !self.first {
            self.bytes.push(b',');
        }
        self.first = false;
        if let Some((origin, members)) = &mut self.members {
            members.push(u32::try_from(self.bytes.len() - *origin).unwrap_or(u32::MAX));
        }
        self.bytes.push(b'"');
        self.bytes.extend_from_slice(k.as_bytes());
        self.bytes.extend_from_slice(b"\":");
    }

    pub(super) fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        let _ = serde_json::to_writer(&mut *self.bytes, v);
        self
    }

    pub(super) fn int(&mut self, k: &str, v: i64) -> &mut Self {
        self.key(k);
        let _ = write!(self.bytes, "{v}");
        self
    }

    pub(super) fn opt_int(&mut self, k: &str, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.int(k, v),
            None => self.null(k),
        }
    }

    pub(super) fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.raw(k, if v { "true" } else { "false" })
    }

    pub(super) fn null(&mut self, k: &str) -> &mut Self {
        self.raw(k, "null")
    }

    /// A literal JSON value, such as `[]` or `{}`.
    pub(super) fn raw(&mut self, k: &str, json: &str) -> &mut Self {
        self.key(k);
        self.bytes.extend_from_slice(json.as_bytes());
        self
    }

    /// A URL under the server's base: `path` starts with `/`.
    pub(super) fn url(&mut self, k: &str, path: std::fmt::Arguments) -> &mut Self {
        self.key(k);
        self.bytes.push(b'"');
        self.bases.push(self.bytes.len());
        let _ = self.bytes.write_fmt(path);
        self.bytes.push(b'"');
        self
    }

    pub(super) fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj)) -> &mut Self {
        self.key(k);
        self.nested(f);
        self
    }

    /// `{"value": .., "label": ..}`, NetBox's choice field.
    pub(super) fn choice(&mut self, k: &str, value: &str, label: &str) -> &mut Self {
        self.obj(k, |o| {
            o.str("value", value).str("label", label);
        })
    }

    /// An array of objects, each written by one call of `f`'s argument.
    pub(super) fn arr(&mut self, k: &str, f: impl FnOnce(&mut Arr)) -> &mut Self {
        self.key(k);
        self.bytes.push(b'[');
        f(&mut Arr {
            obj: self,
            first: true,
        });
        self.bytes.push(b']');
        self
    }

    fn nested(&mut self, f: impl FnOnce(&mut Obj)) {
        self.bytes.push(b'{');
        f(&mut Obj {
            bytes: self.bytes,
            bases: self.bases,
            first: true,
            members: None,
        });
        self.bytes.push(b'}');
    }
}

/// The elements of an array member being written.
pub(super) struct Arr<'a, 'b> {
    obj: &'a mut Obj<'b>,
    first: bool,
}

impl Arr<'_, '_> {
    pub(super) fn obj(&mut self, f: impl FnOnce(&mut Obj)) -> &mut Self {
        if !self.first {
            self.obj.bytes.push(b',');
        }
        self.first = false;
        self.obj.nested(f);
        self
    }
}

/// Everything the bench's NetBox serves.
pub(super) struct Answers {
    pub(super) endpoints: Vec<Endpoint>,
    pub(super) max_page_size: usize,
    /// `GET /api/status/`, which is an object, not a list.
    pub(super) status: Vec<u8>,
}

impl Answers {
    #[cfg(test)]
    pub(super) fn endpoint(&self, path: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.path == path)
    }

    /// Bytes of all stored objects.
    pub(super) fn stored_bytes(&self) -> usize {
        self.endpoints
            .iter()
            .map(Endpoint::stored_bytes)
            .sum::<usize>()
            + self.status.len()
    }
}

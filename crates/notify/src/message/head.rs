//! The header block of a notice. Values that lettre would leave exactly as they are (short
//! printable ASCII) are written straight; anything lettre would encode or fold goes through
//! lettre, one header at a time, so the bytes stay those lettre writes.

use lettre::message::header::{Header, HeaderName, HeaderValue, Headers};
use lettre::message::Mailbox;

/// The longest line lettre leaves unfolded, without its CRLF.
const LINE: usize = 76;

/// Header lines in the order they are added.
pub(super) struct Head {
    out: Vec<u8>,
}

impl Head {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            out: Vec::with_capacity(capacity),
        }
    }

    /// A header whose value lettre encodes as it does any unstructured text (`Subject` too).
    pub(super) fn raw(&mut self, name: &'static str, value: &str) {
        if plain(name, value) {
            self.line(name, value);
        } else {
            let mut one = Headers::new();
            one.insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str(name),
                value.to_owned(),
            ));
            self.out.extend_from_slice(one.to_string().as_bytes());
        }
    }

    /// A mailbox header (`To`): a bare address is written as it is, a named one by lettre.
    pub(super) fn mailbox<H: Header + From<lettre::message::Mailboxes>>(
        &mut self,
        name: &'static str,
        mailbox: Mailbox,
    ) {
        let email: &str = mailbox.email.as_ref();
        if mailbox.name.is_none() && plain(name, email) {
            self.line(name, email);
        } else {
            self.typed(H::from(mailbox.into()));
        }
    }

    /// Lines prepared earlier (e.g. the sender's `From`), copied as they are.
    pub(super) fn lines(&mut self, lines: &str) {
        self.out.extend_from_slice(lines.as_bytes());
    }

    fn typed(&mut self, header: impl Header) {
        let mut one = Headers::new();
        one.set(header);
        self.out.extend_from_slice(one.to_string().as_bytes());
    }

    fn line(&mut self, name: &str, value: &str) {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        self.out.extend_from_slice(value.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    pub(super) fn into_bytes(self) -> Vec<u8> {
        self.out
    }
}

/// `From` (and `Reply-To`) as lettre writes them, for caching with the sender.
pub(super) fn typed_lines(header: impl Header) -> String {
    let mut one = Headers::new();
    one.set(header);
    one.to_string()
}

/// Whether lettre would write `value` unchanged: printable ASCII words separated by single
/// spaces, short enough that the line needs no folding.
fn plain(name: &str, value: &str) -> bool {
    let mut after_space = true;
    for &b in value.as_bytes() {
        match b {
            b' ' if after_space => return false,
            b' ' => after_space = true,
            b'!'..=b'~' => after_space = false,
            _ => return false,
        }
    }
    !after_space && name.len() + 2 + value.len() <= LINE
}

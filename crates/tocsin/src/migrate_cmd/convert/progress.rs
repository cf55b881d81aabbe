//! Progress of a conversion: reading `qemu-img convert -p`'s `(NN.NN/100%)` updates and showing
//! them as a bar on a terminal, plain lines in a log, or JSON lines `{"percent": N}`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

/// Splits `qemu-img`'s progress output into updates: they are separated by `\r` (a newline
/// ends the last one) and may arrive cut anywhere.
#[derive(Default)]
pub struct ProgressParser {
    pending: Vec<u8>,
}

impl ProgressParser {
    /// Takes the next bytes of output and calls `update` with each percentage they complete.
    pub fn feed(&mut self, bytes: &[u8], mut update: impl FnMut(f64)) {
        for &byte in bytes {
            if byte == b'\r' || byte == b'\n' {
                self.flush(&mut update);
            } else {
                self.pending.push(byte);
            }
        }
    }

    /// The output has ended: an update left without a separator still counts.
    pub fn finish(&mut self, mut update: impl FnMut(f64)) {
        self.flush(&mut update);
    }

    fn flush(&mut self, update: &mut impl FnMut(f64)) {
        if let Some(percent) = parse_percent(&String::from_utf8_lossy(&self.pending)) {
            update(percent);
        }
        self.pending.clear();
    }
}

/// `    (12.50/100%)` → 12.5; anything else (blank pieces, other text) → `None`.
pub fn parse_percent(piece: &str) -> Option<f64> {
    let number = piece
        .trim()
        .strip_prefix('(')?
        .strip_suffix("/100%)")?
        .trim();
    let percent: f64 = number.parse().ok()?;
    (0.0..=100.0).contains(&percent).then_some(percent)
}

/// Where progress is shown.
pub enum Reporter {
    /// A bar on stderr, which is a terminal.
    Bar(ProgressBar),
    /// A line on stderr at every further tenth, for logs.
    Plain { label: String, shown: Option<u8> },
    /// `{"percent": N}` on stdout at every further whole percent.
    Json { shown: Option<u8> },
}

impl Reporter {
    /// The reporter for this run: JSON when asked, else a bar when stderr is a terminal.
    pub fn new(json: bool, src: &Path) -> Reporter {
        let label = format!("converting {}", src.display());
        if json {
            Reporter::Json { shown: None }
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(100);
            if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos:>3}% {elapsed}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label);
            Reporter::Bar(bar)
        } else {
            Reporter::Plain { label, shown: None }
        }
    }

    /// Shows that the conversion is `percent` done.
    pub fn percent(&mut self, percent: f64) {
        // Whole percents: the tool prints hundredths, more than anyone reads. The cast cannot
        // overflow, as parse_percent keeps the value within 0..=100.
        let whole = percent.floor() as u8;
        // A progress line that cannot be written (a closed pipe) must not stop the conversion;
        // the final line's write reports the broken output.
        match self {
            Reporter::Bar(bar) => bar.set_position(u64::from(whole)),
            Reporter::Plain { label, shown } => {
                let tenth = whole / 10 * 10;
                if shown.is_none_or(|last| tenth > last) {
                    *shown = Some(tenth);
                    let _ = writeln!(std::io::stderr().lock(), "{label}: {tenth}%");
                }
            }
            Reporter::Json { shown } => {
                if shown.is_none_or(|last| whole > last) {
                    *shown = Some(whole);
                    let _ = writeln!(std::io::stdout().lock(), "{}", json!({"percent": whole}));
                }
            }
        }
    }

    /// A step that reports no progress of its own is under way (a check or comparison reads
    /// the whole image, which takes minutes on a large disk): a spinner, or a plain line.
    pub fn step(&mut self, what: String) {
        match self {
            Reporter::Bar(_) => {
                let spinner = ProgressBar::new_spinner();
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
                    spinner.set_style(style);
                }
                spinner.set_message(what);
                spinner.enable_steady_tick(Duration::from_millis(120));
                *self = Reporter::Bar(spinner);
            }
            Reporter::Plain { .. } => {
                let _ = writeln!(std::io::stderr().lock(), "{what}");
            }
            Reporter::Json { .. } => {}
        }
    }

    /// The current step has ended: the bar or spinner makes way for what follows.
    pub fn finish(&mut self) {
        if let Reporter::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        // A failed run leaves no half bar above its error message.
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn updates(chunks: &[&[u8]]) -> Vec<f64> {
        let mut parser = ProgressParser::default();
        let mut seen = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, |p| seen.push(p));
        }
        parser.finish(|p| seen.push(p));
        seen
    }

    #[test]
    fn updates_separated_by_carriage_returns_are_read_even_when_cut() {
        let whole: &[u8] =
            b"    (0.00/100%)\r    (4.17/100%)\r    (12.50/100%)\r    (100.00/100%)\r\n";
        assert_eq!(updates(&[whole]), vec![0.0, 4.17, 12.5, 100.0]);
        // The same bytes in pieces cut inside the numbers.
        let (a, rest) = whole.split_at(9);
        let (b, c) = rest.split_at(27);
        assert_eq!(updates(&[a, b, c]), vec![0.0, 4.17, 12.5, 100.0]);
        // The last update counts without a separator.
        assert_eq!(updates(&[b"(1.00/100%)\r(55.5/100%)"]), vec![1.0, 55.5]);
    }

    #[test]
    fn other_text_and_out_of_range_values_are_not_progress() {
        assert_eq!(parse_percent("    (33.33/100%)"), Some(33.33));
        assert_eq!(parse_percent(""), None);
        assert_eq!(parse_percent("Image converted."), None);
        assert_eq!(parse_percent("(33.33/50%)"), None);
        assert_eq!(parse_percent("(101.00/100%)"), None);
        assert_eq!(parse_percent("(-1.00/100%)"), None);
        assert_eq!(parse_percent("(NaN/100%)"), None);
        assert_eq!(updates(&[b"warning: x\r\n(7.5/100%)\n"]), vec![7.5]);
    }
}

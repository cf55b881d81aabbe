//! One batch's work: a queue of messages drained by one worker per connection.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use lettre::Address;

use super::session::{Failure, Session, Settings};
use super::Outcome;
use crate::notice::{ascii_domain, Envelope};

/// Messages waiting for a free connection: position in the batch, envelope, bytes.
pub(super) type Queue = Arc<Mutex<VecDeque<Job>>>;

/// One message of a batch: its position, envelope and bytes.
pub(super) type Job = (usize, Envelope, Vec<u8>);

/// Each message's outcome by position in the batch, filled in as the workers finish them,
/// with the bytes of each message the server accepted, handed back.
pub(super) type Outcomes = Arc<Mutex<Vec<Option<(Outcome, Option<Vec<u8>>)>>>>;

/// A job taken off the queue with its checked addresses.
struct Ready {
    from: String,
    to: String,
    job: Job,
}

/// One connection's share of a batch: takes messages off the queue until it is empty.
pub(super) struct Worker {
    pub settings: Arc<Settings>,
    pub queue: Queue,
    pub outcomes: Outcomes,
    pub last_connect_error: Arc<Mutex<Option<String>>>,
    /// Workers of this batch still running.
    pub alive: Arc<AtomicUsize>,
}

impl Worker {
    /// Sends until the queue is empty or no connection can be had; returns the session, still
    /// open, for the next batch.
    pub async fn run(self, mut session: Option<Session>) -> Option<Session> {
        self.drain(&mut session).await;
        self.alive.fetch_sub(1, Ordering::SeqCst);
        session
    }

    /// The loop of [`Worker::run`]; it ends when the queue is empty or no connection opens.
    /// It holds the job after the one being sent, so that a pipelining session can announce
    /// it behind the current message.
    async fn drain(&self, session: &mut Option<Session>) {
        let mut next = self.take();
        while let Some(current) = next.take() {
            next = self.take();
            let Ready { from, to, job } = current;
            let mut attempts = 0;
            let outcome = loop {
                attempts += 1;
                let mut open = match session.take() {
                    Some(s) => s,
                    None => match Session::open(&self.settings).await {
                        Ok(s) => s,
                        Err(e) => {
                            // Both go back, the current one in front.
                            if let Some(n) = next {
                                self.cannot_connect(n.job, e.clone());
                            }
                            self.cannot_connect(job, e);
                            return;
                        }
                    },
                };
                let announce = next
                    .as_ref()
                    .map(|n| (n.from.as_str(), n.to.as_str(), n.job.2.as_slice()));
                let result = open.deliver(&from, &to, &job.2, announce).await;
                if !open.broken {
                    *session = Some(open);
                }
                match result {
                    Ok(()) => break Outcome::Delivered,
                    Err(Failure::Refused(reply)) if reply.is_permanent() && !about_us(&reply) => {
                        break Outcome::Failed {
                            reason: reply.to_string(),
                        }
                    }
                    Err(Failure::Refused(reply)) => {
                        break Outcome::Retry {
                            reason: reply.to_string(),
                        }
                    }
                    Err(Failure::Unsupported(reason)) => break Outcome::Failed { reason },
                    // Nothing of the message went out, so the server cannot have kept it: a
                    // kept session the server had closed, or a connection lost early, costs
                    // one more try on a fresh connection rather than a retry much later.
                    Err(Failure::Broken {
                        before_data: true, ..
                    }) if attempts < 2 => {}
                    Err(Failure::Broken { reason, .. }) => break Outcome::Retry { reason },
                }
            };
            let (index, _, message) = job;
            let accepted = (outcome == Outcome::Delivered).then_some(message);
            self.record(index, outcome, accepted);
        }
    }

    /// The next job of the queue whose addresses can be sent; those that cannot are recorded
    /// as failed on the way.
    fn take(&self) -> Option<Ready> {
        loop {
            let job = self.queue.lock().ok().and_then(|mut q| q.pop_front())?;
            match addresses(&job.1) {
                Ok((from, to)) => return Some(Ready { from, to, job }),
                Err(reason) => self.record(job.0, Outcome::Failed { reason }, None),
            }
        }
    }

    /// Gives `job` back to the workers still connected, or, if this was the last one, marks
    /// it to be retried later.
    fn cannot_connect(&self, job: Job, error: String) {
        let reason = format!(
            "cannot connect to {}:{}: {error}",
            self.settings.host, self.settings.port
        );
        if let Ok(mut last) = self.last_connect_error.lock() {
            *last = Some(reason.clone());
        }
        // Servers often cap connections per client: the others carry on with this message.
        let index = job.0;
        let mut handed_back = false;
        if self.alive.load(Ordering::SeqCst) > 1 {
            if let Ok(mut q) = self.queue.lock() {
                q.push_front(job);
                handed_back = true;
            }
        }
        if !handed_back {
            self.record(index, Outcome::Retry { reason }, None);
        }
    }

    fn record(&self, index: usize, outcome: Outcome, accepted: Option<Vec<u8>>) {
        if let Ok(mut slots) = self.outcomes.lock() {
            if let Some(slot) = slots.get_mut(index) {
                *slot = Some((outcome, accepted));
            }
        }
    }
}

/// Whether a refusal is about our configuration rather than the message: `530` (log in
/// first, RFC 4954) and `538` (encrypt first). Fixing `[smtp]` makes the same message go, so
/// it is retried rather than given up.
fn about_us(reply: &super::wire::Reply) -> bool {
    matches!(reply.code, 530 | 538)
}

/// The envelope's addresses, checked so that nothing can be smuggled into a command line,
/// with internationalised domains in ASCII.
fn addresses(envelope: &Envelope) -> Result<(String, String), String> {
    let check = |what: &str, value: &str| {
        ascii_domain(value)
            .and_then(|a| a.parse::<Address>().map_err(|e| e.to_string()))
            .map(|a| a.to_string())
            .map_err(|e| format!("invalid {what} {value:?}: {e}"))
    };
    let from = if envelope.from.is_empty() {
        String::new()
    } else {
        check("sender", &envelope.from)?
    };
    Ok((from, check("recipient", &envelope.to)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_cannot_smuggle_commands() {
        let envelope = |from: &str, to: &str| Envelope {
            from: from.to_owned(),
            to: to.to_owned(),
        };
        assert!(addresses(&envelope("noc@example.net", "not an address")).is_err());
        assert!(addresses(&envelope(
            "noc@example.net",
            "a@b.example>\r\nRCPT TO:<c@d.example"
        ))
        .is_err());
        assert!(addresses(&envelope("x>@example.net", "a@b.example")).is_err());
        assert_eq!(
            addresses(&envelope("", "a@b.example")),
            Ok((String::new(), "a@b.example".to_owned()))
        );
    }
}

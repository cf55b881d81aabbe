//! Prometheus metrics at `/metrics`: counters kept in atomics by the pipeline and the outbox,
//! gauges read from the live state when scraped, and the wall clock's jumps (`crate::clock`).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::clock::ClockJumps;

/// Upper bounds (seconds) of the notice latency histogram.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Counters and histograms.
#[derive(Default)]
pub struct Metrics {
    /// Alerts stored, all sources.
    pub alerts: AtomicU64,
    /// Alerts that matched no vertex.
    pub unmatched: AtomicU64,
    /// Requests refused as malformed.
    pub rejected: AtomicU64,
    /// Alert requests refused for want of a valid alert token (`[alerts] tokens`).
    pub unauthorized: AtomicU64,
    /// Notices queued.
    pub queued: AtomicU64,
    /// Notices accepted by the SMTP server.
    pub sent: AtomicU64,
    /// Notices given up.
    pub failed: AtomicU64,
    /// Delivery attempts that will be retried.
    pub retried: AtomicU64,
    /// Runs of the leader's SLA settlement (offering and expiring credits) that completed.
    pub sla_runs: AtomicU64,
    /// SLA credits offered.
    pub credits_offered: AtomicU64,
    /// Support ticket targets recorded as missed.
    pub ticket_breaches: AtomicU64,
    latency: [AtomicU64; BUCKETS.len() + 1],
    latency_sum_ms: AtomicU64,
}

impl Metrics {
    /// Records a notice accepted `ms` after it was queued.
    pub fn notice_latency(&self, ms: i64) {
        let ms = ms.max(0) as u64;
        let s = ms as f64 / 1000.0;
        let i = BUCKETS
            .iter()
            .position(|&b| s <= b)
            .unwrap_or(BUCKETS.len());
        self.latency[i].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// The text exposition format, with `gauges` (name, help, value) added and the jumps of
    /// the process's wall clock (the record its server clock published).
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        self.render_with(gauges, &crate::clock::published())
    }

    /// [`Metrics::render`] with the clock's `jumps` given.
    fn render_with(&self, gauges: &[(&str, &str, f64)], jumps: &ClockJumps) -> String {
        let mut out = String::new();
        let counters = [
            (
                "tocsin_alerts_received_total",
                "Alerts stored.",
                &self.alerts,
            ),
            (
                "tocsin_alerts_unmatched_total",
                "Alerts that matched no inventory vertex.",
                &self.unmatched,
            ),
            (
                "tocsin_alert_requests_rejected_total",
                "Alert requests refused as malformed.",
                &self.rejected,
            ),
            (
                "tocsin_alert_requests_unauthorized_total",
                "Alert requests refused for want of a valid alert token.",
                &self.unauthorized,
            ),
            (
                "tocsin_notices_queued_total",
                "Notices queued in the outbox.",
                &self.queued,
            ),
            (
                "tocsin_notices_sent_total",
                "Notices accepted by the SMTP server.",
                &self.sent,
            ),
            (
                "tocsin_notices_failed_total",
                "Notices given up.",
                &self.failed,
            ),
            (
                "tocsin_notice_retries_total",
                "Delivery attempts to be retried.",
                &self.retried,
            ),
            (
                "tocsin_sla_settlements_total",
                "Completed runs of the leader's SLA settlement (credits offered and expired).",
                &self.sla_runs,
            ),
            (
                "tocsin_sla_credits_offered_total",
                "SLA credits offered by this instance.",
                &self.credits_offered,
            ),
            (
                "tocsin_ticket_breaches_total",
                "Support ticket targets recorded as missed by this instance.",
                &self.ticket_breaches,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let name = "tocsin_clock_jumps_total";
        let _ = writeln!(
            out,
            "# HELP {name} Jumps of the wall clock by more than the tolerance, not followed.\n# TYPE {name} counter\n{name} {}",
            jumps.total
        );
        let name = "tocsin_clock_last_jump_seconds";
        let last = jumps
            .recent
            .first()
            .map_or(0.0, |j| j.size_ms() as f64 / 1000.0);
        let _ = writeln!(
            out,
            "# HELP {name} Size of the wall clock's latest jump, negative backwards (0 when none).\n# TYPE {name} gauge\n{name} {last}"
        );
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        let name = "tocsin_notice_latency_seconds";
        let _ = writeln!(out, "# HELP {name} From a notice queued to its acceptance by the SMTP server.\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.latency[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.latency[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.latency_sum_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_everything() {
        let m = Metrics::default();
        m.notice_latency(30);
        m.notice_latency(700);
        m.notice_latency(120_000);
        m.sent.fetch_add(3, Ordering::Relaxed);
        let text = m.render(&[("tocsin_vertices_down", "Vertices down.", 2.0)]);
        assert!(text.contains("tocsin_notice_latency_seconds_bucket{le=\"0.05\"} 1\n"));
        assert!(text.contains("tocsin_notice_latency_seconds_bucket{le=\"1\"} 2\n"));
        assert!(text.contains("tocsin_notice_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("tocsin_notice_latency_seconds_count 3\n"));
        assert!(text.contains("tocsin_notices_sent_total 3\n"));
        assert!(text.contains("tocsin_vertices_down 2\n"));
    }

    #[test]
    fn clock_jumps_are_a_counter_and_the_latest_size_a_gauge() {
        let m = Metrics::default();
        let none = m.render_with(&[], &ClockJumps::default());
        assert!(
            none.contains("# TYPE tocsin_clock_jumps_total counter\ntocsin_clock_jumps_total 0\n")
        );
        assert!(none.contains("tocsin_clock_last_jump_seconds 0\n"));
        let jump = |from_ms: i64, wall_ms: i64| crate::clock::ClockJump {
            detected_ms: from_ms,
            from_ms,
            wall_ms,
            projected_ms: from_ms,
        };
        let jumps = ClockJumps {
            total: 3,
            recent: vec![jump(10_000, 10_000 - 3_600_000), jump(5_000, 9_000)],
        };
        let text = m.render_with(&[], &jumps);
        assert!(text.contains("tocsin_clock_jumps_total 3\n"), "{text}");
        assert!(
            text.contains("tocsin_clock_last_jump_seconds -3600\n"),
            "{text}"
        );
    }
}

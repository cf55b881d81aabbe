//! One batch of incoming alerts turned, under the live state's lock and without I/O, into
//! what the log gets (alert rows, with the names of the vertices they map to), what the
//! archive keeps (the raw request bodies) and the vertices each alert maps to, in order.

use tocsin_model::VertexId;
use tocsin_store::{AlertStatus, NewAlert};

use crate::archiving::Archiver;
use crate::ingest::{Incoming, Target};
use crate::Live;

/// What one batch becomes.
pub(crate) struct Batch {
    /// The vertices of each alert, in the order of the batch.
    pub mapped: Vec<Vec<VertexId>>,
    /// One row per alert.
    pub rows: Vec<NewAlert>,
    /// Raw request bodies to archive, by key.
    pub objects: Vec<(String, Vec<u8>)>,
}

/// The vertices an alert's target names in the live inventory (none when it names nothing
/// known: the alert is then stored as unmatched).
pub(crate) fn vertices_of(live: &Live, target: &Target) -> Vec<VertexId> {
    let by_labels = |labels: &[(String, String)]| {
        live.labels.matching(
            &live.inventory,
            labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
    };
    match target {
        Target::Node(id) => live.inventory.graph.find(id).into_iter().collect(),
        Target::Labels(labels) => by_labels(labels),
        Target::HostOrLabels(host, labels) => match live.inventory.graph.find(host) {
            Some(v) => vec![v],
            None => by_labels(labels),
        },
    }
}

/// Maps each request (its alerts and raw body) of a batch.
pub(crate) fn map<'a>(
    requests: impl Iterator<Item = (&'a [Incoming], Option<&'a Vec<u8>>)>,
    live: &Live,
    archiver: &Archiver,
) -> Batch {
    let mut batch = Batch {
        mapped: Vec::new(),
        rows: Vec::new(),
        objects: Vec::new(),
    };
    for (alerts, body) in requests {
        let body_key = body.filter(|_| archiver.enabled()).map(|body| {
            let source = alerts.first().map_or("unknown", |a| a.source.as_str());
            let key = archiver.key(&format!("alerts/{}", source.replace(':', "-")));
            batch.objects.push((key.clone(), body.clone()));
            key
        });
        for a in alerts {
            let vertices = vertices_of(live, &a.target);
            let names: Vec<String> = vertices
                .iter()
                .map(|&v| live.inventory.graph.name(v).to_owned())
                .collect();
            batch.rows.push(NewAlert {
                source: a.source.clone(),
                fingerprint: a.fingerprint.clone(),
                status: a.status,
                state: match a.status {
                    AlertStatus::Resolved => "up".to_owned(),
                    AlertStatus::Firing => a.state.as_str().to_owned(),
                },
                vertices: names,
                received_ms: a.received_ms,
                body_key: body_key.clone(),
            });
            batch.mapped.push(vertices);
        }
    }
    batch
}

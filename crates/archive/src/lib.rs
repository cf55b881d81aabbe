//! The small-object archive: append-only volumes and a compact sorted index (work in progress).

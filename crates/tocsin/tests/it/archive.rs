//! `tocsin archive …` driven from outside, per `shared/spec/archive.md`.

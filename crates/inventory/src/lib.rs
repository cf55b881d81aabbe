//! Inventory reader.

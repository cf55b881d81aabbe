//! Reads Tocsin inventories, YAML files per `shared/spec/inventory.md`, into the model, with
//! the file, line and column of every problem.

mod diag;
mod fields;
pub mod generate;
mod intern;
mod load;
pub mod migration;
pub mod mtu;
pub mod netbox;
mod resolve;
pub mod yaml;

#[cfg(test)]
mod proptests;

use std::path::Path;

pub use diag::{Diagnostic, LoadError};
pub use load::Loader;
use tocsin_model::Inventory;

/// Reads an inventory from a file, or from every `*.yaml` file of a directory merged in name
/// order. Every problem is reported, not only the first.
pub fn load_path(path: &Path) -> Result<Inventory, LoadError> {
    read_path(path).finish()
}

/// As [`load_path`], with the warnings about the inventory (the fabric MTU lint, see
/// [`mtu::lint`]) sorted by file and position. An inventory with errors is still an error.
pub fn load_path_with_warnings(path: &Path) -> Result<(Inventory, Vec<Diagnostic>), LoadError> {
    read_path(path).finish_with_warnings()
}

/// As [`load_path`], reading every file with the full YAML parser only, as Tocsin did before
/// it had a fast reader: the baseline of `tocsin bench inventory`, and a check that both
/// readers agree.
pub fn load_path_with_full_parser(path: &Path) -> Result<Inventory, LoadError> {
    read_path_into(Loader::new().full_parser_only(), path).finish()
}

fn read_path(path: &Path) -> Loader {
    read_path_into(Loader::new(), path)
}

fn read_path_into(mut loader: Loader, path: &Path) -> Loader {
    let shown = path.display().to_string();
    if path.is_dir() {
        let mut files: Vec<_> = match std::fs::read_dir(path) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect(),
            Err(e) => {
                loader.file_error(&shown, format!("cannot read directory: {e}"));
                return loader;
            }
        };
        files.sort();
        if files.is_empty() {
            loader.file_error(&shown, "the directory holds no *.yaml file".into());
        }
        for file in files {
            read_file(&mut loader, &file);
        }
    } else {
        read_file(&mut loader, path);
    }
    loader
}

fn read_file(loader: &mut Loader, path: &Path) {
    let shown = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => loader.read(&shown, &text),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let before = &e.as_bytes()[..at];
                let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
                let col = at
                    - before
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |p| p + 1)
                    + 1;
                loader.file_error(&shown, format!("{line}:{col}: not valid UTF-8"));
            }
        },
        Err(e) => loader.file_error(&shown, format!("cannot read: {e}")),
    }
}

/// Reads an inventory from text, naming it `file` in messages.
pub fn load_str(file: &str, text: &str) -> Result<Inventory, LoadError> {
    let mut loader = Loader::new();
    loader.read(file, text);
    loader.finish()
}

/// As [`load_str`], with the warnings as [`load_path_with_warnings`] gives them.
pub fn load_str_with_warnings(
    file: &str,
    text: &str,
) -> Result<(Inventory, Vec<Diagnostic>), LoadError> {
    let mut loader = Loader::new();
    loader.read(file, text);
    loader.finish_with_warnings()
}

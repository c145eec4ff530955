//! Function declarations of the profiled files, remembered across runs by file content.
//!
//! The join checks every profile frame against the declaration it names (is the line still inside
//! it?), which needs each profiled file parsed. Parsing was most of the join, and the join most of a
//! warm report run with `--profile`: the report itself is served from the analysis cache and parses
//! nothing. A file's declarations depend only on its bytes, so they are kept by a hash of them.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

/// Function declarations of one source file: key (`Render`, `T.Method`) → (start, end) lines.
pub type Decls = HashMap<String, (u32, u32)>;

/// Bump when what [`super::join`] records per declaration changes.
const FORMAT: u32 = 1;
/// Files remembered at most; past that the cache starts over (a few thousand files is a large
/// module's worth, and an entry is small).
const KEEP: usize = 20_000;

pub struct DeclCache {
    path: Option<PathBuf>,
    entries: HashMap<u64, Decls>,
    changed: bool,
}

impl DeclCache {
    /// The cache in stackify's cache directory; empty when it is missing or does not decode.
    pub fn open() -> DeclCache {
        let path = crate::go::helper::cache_dir().join("profile-decls");
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|b| bincode::deserialize::<(u32, String, HashMap<u64, Decls>)>(&b).ok())
            .filter(|(format, version, _)| *format == FORMAT && version == env!("CARGO_PKG_VERSION"))
            .map(|(_, _, e)| e)
            .unwrap_or_default();
        DeclCache { path: Some(path), entries, changed: false }
    }

    /// A cache that forgets everything when dropped (tests, and callers that must not write).
    pub fn in_memory() -> DeclCache {
        DeclCache { path: None, entries: HashMap::new(), changed: false }
    }

    /// The declarations of a file with this text, computed by `parse` when not known.
    pub fn get(&mut self, text: &str, parse: impl FnOnce(&str) -> Decls) -> Decls {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let key = h.finish();
        if let Some(d) = self.entries.get(&key) {
            return d.clone();
        }
        let d = parse(text);
        if self.entries.len() >= KEEP {
            self.entries.clear();
        }
        self.entries.insert(key, d.clone());
        self.changed = true;
        d
    }

    /// Write what was learned (atomically: a torn write would only be a miss, but is avoided).
    pub fn save(&mut self) {
        let Some(path) = &self.path else { return };
        if !self.changed {
            return;
        }
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let record = (FORMAT, env!("CARGO_PKG_VERSION").to_string(), &self.entries);
        let Ok(bytes) = bincode::serialize(&record) else { return };
        let tmp = dir.join(format!(".profile-decls.{}", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        self.changed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_parsed_once_per_content() {
        let mut c = DeclCache::in_memory();
        let parses = std::cell::Cell::new(0);
        let parse = |_: &str| {
            parses.set(parses.get() + 1);
            Decls::from([("F".to_string(), (1, 3))])
        };
        assert_eq!(c.get("package a\nfunc F() {\n}\n", parse)["F"], (1, 3));
        c.get("package a\nfunc F() {\n}\n", parse);
        assert_eq!(parses.get(), 1, "same bytes, no second parse");
        c.get("package a\n\nfunc F() {\n}\n", parse);
        assert_eq!(parses.get(), 2, "other bytes are parsed");
    }
}

//! Reads pprof profiles (`profile.proto` of github.com/google/pprof), gzipped or raw, into plain
//! Rust values: the heap profiles of `go test -memprofile`, runtime/pprof and net/http/pprof, and CPU
//! profiles (also what `default.pgo` is).
//!
//! The message structs mirror profile.proto field numbers by hand (prost derive, no protoc at build
//! time); fields stackify never reads (labels, comments, drop/keep frames) are left out, which
//! protobuf decoding skips.

use anyhow::{bail, Context, Result};
use prost::Message;
use std::io::Read;
use std::path::Path;

/// `Profile` (profile.proto). Ids (`location_id`, `function_id`, ...) refer to the `id` fields of the
/// tables; string fields are indexes into `string_table`.
#[derive(Clone, PartialEq, Message)]
pub struct Profile {
    #[prost(message, repeated, tag = "1")]
    pub sample_type: Vec<ValueType>,
    #[prost(message, repeated, tag = "2")]
    pub sample: Vec<Sample>,
    #[prost(message, repeated, tag = "3")]
    pub mapping: Vec<Mapping>,
    #[prost(message, repeated, tag = "4")]
    pub location: Vec<Location>,
    #[prost(message, repeated, tag = "5")]
    pub function: Vec<Function>,
    #[prost(string, repeated, tag = "6")]
    pub string_table: Vec<String>,
    #[prost(int64, tag = "9")]
    pub time_nanos: i64,
    #[prost(int64, tag = "10")]
    pub duration_nanos: i64,
    #[prost(message, optional, tag = "11")]
    pub period_type: Option<ValueType>,
    #[prost(int64, tag = "12")]
    pub period: i64,
    #[prost(int64, tag = "14")]
    pub default_sample_type: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct ValueType {
    #[prost(int64, tag = "1")]
    pub r#type: i64,
    #[prost(int64, tag = "2")]
    pub unit: i64,
}

/// One stack with its values (one per `sample_type`). `location_id[0]` is the leaf.
#[derive(Clone, PartialEq, Message)]
pub struct Sample {
    #[prost(uint64, repeated, tag = "1")]
    pub location_id: Vec<u64>,
    #[prost(int64, repeated, tag = "2")]
    pub value: Vec<i64>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Mapping {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(uint64, tag = "2")]
    pub memory_start: u64,
    #[prost(uint64, tag = "3")]
    pub memory_limit: u64,
    #[prost(uint64, tag = "4")]
    pub file_offset: u64,
    #[prost(int64, tag = "5")]
    pub filename: i64,
    #[prost(int64, tag = "6")]
    pub build_id: i64,
}

/// A program counter and the source lines it stands for: `line` is the inline stack, innermost
/// (the inlined callee) first, the function the code was compiled into last.
#[derive(Clone, PartialEq, Message)]
pub struct Location {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(uint64, tag = "2")]
    pub mapping_id: u64,
    #[prost(uint64, tag = "3")]
    pub address: u64,
    #[prost(message, repeated, tag = "4")]
    pub line: Vec<Line>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Line {
    #[prost(uint64, tag = "1")]
    pub function_id: u64,
    #[prost(int64, tag = "2")]
    pub line: i64,
    #[prost(int64, tag = "3")]
    pub column: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct Function {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(int64, tag = "2")]
    pub name: i64,
    #[prost(int64, tag = "3")]
    pub system_name: i64,
    #[prost(int64, tag = "4")]
    pub filename: i64,
    #[prost(int64, tag = "5")]
    pub start_line: i64,
}

/// What a profile measures, from its sample types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    /// `alloc_space` is present (`go test -memprofile`, the heap and allocs profiles).
    Heap,
    /// `cpu/nanoseconds` or `samples/count` with a `cpu` period (`-cpuprofile`, `default.pgo`).
    Cpu,
    /// Anything else (goroutine, mutex, block...): decoded but not joined.
    Other,
}

impl Profile {
    /// `string_table[i]`, empty for an index out of range (a malformed profile must not panic).
    pub fn string(&self, i: i64) -> &str {
        usize::try_from(i).ok().and_then(|i| self.string_table.get(i)).map_or("", String::as_str)
    }

    /// Index of the sample type named `name` (e.g. `alloc_space`, `cpu`, `samples`).
    pub fn value_index(&self, name: &str) -> Option<usize> {
        self.sample_type.iter().position(|t| self.string(t.r#type) == name)
    }

    /// `type/unit` of every sample type, in order (`alloc_objects/count`, ...).
    pub fn sample_types(&self) -> Vec<String> {
        self.sample_type.iter().map(|t| format!("{}/{}", self.string(t.r#type), self.string(t.unit))).collect()
    }

    pub fn kind(&self) -> ProfileKind {
        if self.value_index("alloc_space").is_some() {
            ProfileKind::Heap
        } else if self.value_index("cpu").is_some()
            || self.period_type.as_ref().is_some_and(|p| self.string(p.r#type) == "cpu")
        {
            ProfileKind::Cpu
        } else {
            ProfileKind::Other
        }
    }
}

/// Decode `bytes` (gzipped, as Go writes them, or raw protobuf).
pub fn decode(bytes: &[u8]) -> Result<Profile> {
    let raw;
    let data = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out).context("not a valid gzip stream")?;
        raw = out;
        &raw[..]
    } else {
        bytes
    };
    let profile = Profile::decode(data).context("not a pprof protobuf")?;
    // Protobuf accepts almost any bytes as "some message": a profile has a string table whose
    // first entry is "" and at least one sample type. Anything else is not a profile.
    if profile.string_table.first().is_none_or(|s| !s.is_empty()) || profile.sample_type.is_empty() {
        bail!("not a pprof profile (no sample types or string table)");
    }
    Ok(profile)
}

/// Read and decode the profile at `path`; every error names the file.
pub fn read(path: &Path) -> Result<Profile> {
    let bytes = std::fs::read(path).with_context(|| format!("reading profile {}", path.display()))?;
    decode(&bytes).with_context(|| format!("{}: not a pprof profile", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_profile() -> Profile {
        Profile {
            sample_type: vec![ValueType { r#type: 1, unit: 2 }],
            sample: vec![Sample { location_id: vec![1], value: vec![7] }],
            location: vec![Location {
                id: 1,
                line: vec![Line { function_id: 1, line: 3, column: 0 }],
                ..Default::default()
            }],
            function: vec![Function { id: 1, name: 3, system_name: 3, filename: 4, start_line: 1 }],
            string_table: vec!["".into(), "samples".into(), "count".into(), "main.f".into(), "/m/f.go".into()],
            ..Default::default()
        }
    }

    #[test]
    fn raw_and_gzipped_round_trip() {
        let p = sample_profile();
        let raw = p.encode_to_vec();
        assert_eq!(decode(&raw).unwrap(), p);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &raw).unwrap();
        let decoded = decode(&gz.finish().unwrap()).unwrap();
        assert_eq!(decoded.sample_types(), vec!["samples/count"]);
        assert_eq!(decoded.kind(), ProfileKind::Other);
    }

    #[test]
    fn text_is_not_a_profile_and_the_error_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "hello, this is not a profile\n").unwrap();
        let err = format!("{:#}", read(&path).unwrap_err());
        assert!(err.contains("notes.txt"), "{err}");
        let gz_garbage = [0x1f, 0x8b, 1, 2, 3];
        assert!(decode(&gz_garbage).is_err());
    }
}

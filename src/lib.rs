//! stackify: finds the heap escapes the Go compiler reports, proposes rewrites that keep values on the
//! stack, proves each one with the user's own toolchain, and lets the user preview or apply them.
//!
//! Data flows one way: [`go`] (the only module that runs `go`) → [`findings`] → [`source`] +
//! [`rules`] run by the [`engine`] → [`fix`] → [`verify`] → [`session`] front ends → [`output`].
//! Imports point down that line only: nothing below [`session`] imports it; what they all share of
//! one run is the plain data in [`analysis`].

pub mod analysis;
pub mod check;
pub mod cli;
pub mod config;
pub mod engine;
pub mod findings;
pub mod fix;
pub mod go;
pub mod golit;
pub mod output;
pub mod profile;
pub mod progress;
pub mod rules;
pub mod session;
pub mod source;
pub mod syntax;
pub mod verify;

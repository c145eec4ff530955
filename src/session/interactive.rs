//! The interactive `--fix` session.

use super::Analysis;
use crate::cli::Cli;
use anyhow::{bail, Result};

pub fn run(_a: &Analysis, _cli: &Cli) -> Result<u8> {
    bail!("--fix is not implemented yet; use --diff to review and --apply to write")
}

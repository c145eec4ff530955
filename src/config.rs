//! `stackify.toml` in the module (or workspace) root: which rules run and which paths are never edited.
//!
//! ```toml
//! [rules]
//! enable = ["fmt-sprintf", "prealloc-slice"]   # only these (default: all rules)
//! disable = ["sort-slice"]                      # never these
//!
//! [paths]
//! skip = ["internal/legacy/**", "**/*_gen.go"]  # globs relative to this file's directory
//!
//! [profile]
//! min_share = 2.5                               # percent; as --min-share, needs a profile
//!
//! [rules.prealloc-slice]
//! filter_loops = true                           # as --prealloc-upper-bound
//! ```
//! Command-line `--rule` replaces `enable`; `--skip-rule` adds to `disable`.

use anyhow::{bail, Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "stackify.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub rules: Rules,
    #[serde(default)]
    pub paths: Paths,
    #[serde(default)]
    pub profile: ProfileConfig,
}

/// `[profile]`: how measured cost limits rewrites.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// Percentage of the profiled bytes a fix must carry to be rewritten (`--min-share` wins).
    pub min_share: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    pub enable: Vec<String>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default, rename = "prealloc-slice")]
    pub prealloc_slice: PreallocSliceConfig,
}

/// `[rules.prealloc-slice]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreallocSliceConfig {
    /// Preallocate filter loops (`if cond { s = append(s, x) }`) with the loop's bound as capacity:
    /// an upper bound, so memory is traded for allocations; without it only measured-hot ones are.
    #[serde(default)]
    pub filter_loops: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    #[serde(default)]
    pub skip: Vec<String>,
}

/// A loaded configuration with its compiled path globs.
#[derive(Debug, Default)]
pub struct Loaded {
    pub file: Option<PathBuf>,
    pub config: Config,
    skip: Option<(PathBuf, GlobSet, Vec<String>)>,
}

impl Loaded {
    /// Load `root/stackify.toml` if present. Errors name the file and the problem.
    pub fn load(root: &Path, known_rules: &[&str]) -> Result<Self> {
        let file = root.join(FILE_NAME);
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
        };
        let config: Config =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.to_string().trim()))?;
        for id in config.rules.enable.iter().chain(&config.rules.disable) {
            if !known_rules.contains(&id.as_str()) {
                bail!("{}: unknown rule {id:?} (known: {})", file.display(), known_rules.join(", "));
            }
        }
        let skip = if config.paths.skip.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for g in &config.paths.skip {
                b.add(Glob::new(g).map_err(|e| anyhow::anyhow!("{}: paths.skip {g:?}: {e}", file.display()))?);
            }
            Some((root.to_path_buf(), b.build()?, config.paths.skip.clone()))
        };
        Ok(Loaded { file: Some(file), config, skip })
    }

    /// The `paths.skip` pattern that matches `file`, if any.
    pub fn skipped(&self, file: &Path) -> Option<&str> {
        let (root, set, globs) = self.skip.as_ref()?;
        let rel = file.strip_prefix(root).ok()?;
        set.matches(rel).first().map(|&i| globs[i].as_str())
    }

    /// Rules to run: `--rule` wins over `enable`; `disable` and `--skip-rule` both apply.
    pub fn rule_selection(&self, cli_only: &[String], cli_skip: &[String]) -> (Vec<String>, Vec<String>) {
        let only = if cli_only.is_empty() { self.config.rules.enable.clone() } else { cli_only.to_vec() };
        let mut skip = self.config.rules.disable.clone();
        skip.extend(cli_skip.iter().cloned());
        (only, skip)
    }
}

/// `//stackify:ignore <rule|all> <reason>` on `line` (trailing) or alone on the line above it.
/// Returns the comment's reason when it covers `rule`.
pub fn ignored(text: &str, line: u32, rule: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let idx = line.checked_sub(1)? as usize;
    let mut candidates = vec![lines.get(idx).copied()?];
    if idx > 0 && lines[idx - 1].trim_start().starts_with("//stackify:ignore") {
        candidates.push(lines[idx - 1]);
    }
    for l in candidates {
        let Some(pos) = l.find("//stackify:ignore") else { continue };
        let rest = l[pos + "//stackify:ignore".len()..].trim();
        let (which, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if which == rule || which == "all" || which == "*" {
            return Some(reason.trim().trim_end_matches('\r').to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_comments() {
        let text = "a := fmt.Sprint(x) //stackify:ignore fmt-sprintf hot path is cold\n//stackify:ignore all generated by hand\nb := fmt.Sprint(y)\nc := fmt.Sprint(z)\n";
        assert_eq!(ignored(text, 1, "fmt-sprintf").as_deref(), Some("hot path is cold"));
        assert_eq!(ignored(text, 1, "prealloc-slice"), None);
        assert_eq!(ignored(text, 3, "anything").as_deref(), Some("generated by hand"));
        assert_eq!(ignored(text, 4, "fmt-sprintf"), None);
    }

    #[test]
    fn config_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(FILE_NAME),
            "[rules]\ndisable = [\"fmt-sprintf\"]\n[paths]\nskip = [\"legacy/**\"]\n",
        )
        .unwrap();
        let l = Loaded::load(dir.path(), &["fmt-sprintf"]).unwrap();
        assert_eq!(l.skipped(&dir.path().join("legacy/a/b.go")), Some("legacy/**"));
        assert_eq!(l.skipped(&dir.path().join("main.go")), None);
        assert_eq!(l.rule_selection(&[], &[]).1, vec!["fmt-sprintf".to_string()]);
        std::fs::write(dir.path().join(FILE_NAME), "[rules]\nenable = [\"nope\"]\n").unwrap();
        let e = Loaded::load(dir.path(), &["fmt-sprintf"]).unwrap_err().to_string();
        assert!(e.contains("stackify.toml") && e.contains("nope"), "{e}");
        std::fs::write(dir.path().join(FILE_NAME), "[rules.prealloc-slice]\nfilter_loops = true\n").unwrap();
        assert!(Loaded::load(dir.path(), &["fmt-sprintf"]).unwrap().config.rules.prealloc_slice.filter_loops);
        std::fs::write(dir.path().join(FILE_NAME), "[rules.prealloc-slice]\nfilter_loop = true\n").unwrap();
        assert!(Loaded::load(dir.path(), &["fmt-sprintf"]).is_err(), "a misspelt key is an error");
        std::fs::write(dir.path().join(FILE_NAME), "[rulez]\n").unwrap();
        let e = Loaded::load(dir.path(), &["fmt-sprintf"]).unwrap_err().to_string();
        assert!(e.contains("stackify.toml"), "{e}");
    }
}

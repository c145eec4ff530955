//! The module's `go` version, as the go command spells it in go.mod and `go list`: `go1.22`,
//! `go1.23rc1`, `1.21.3`. Rules compare it with the release that changed what they rely on.

/// Since Go 1.22 each iteration of a `for` loop has its own loop variables; before, one variable
/// is shared by all iterations, so a closure or pointer taken in one iteration sees later ones.
pub const PER_ITERATION_LOOP_VARS: u32 = 22;

/// Since Go 1.21 `min` and `max` are builtins.
pub const BUILTIN_MIN_MAX: u32 = 21;

/// A Go release: `1.22` is `{ major: 1, minor: 22, patch: 0 }`. Pre-release suffixes (`rc1`,
/// `beta2`) count as their release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl GoVersion {
    /// `None` when `v` is not a version at all.
    pub fn parse(v: &str) -> Option<GoVersion> {
        let v = v.trim();
        let v = v.strip_prefix("go").unwrap_or(v);
        let mut nums = v.split('.').map(|part| {
            let digits: String = part.chars().take_while(|c| c.is_ascii_digit()).collect();
            digits.parse::<u32>().ok()
        });
        let major = nums.next()??;
        let minor = nums.next().flatten().unwrap_or(0);
        let patch = nums.next().flatten().unwrap_or(0);
        Some(GoVersion { major, minor, patch })
    }

    /// The minor release of a Go 1 version (`go1.21.3` → 21), which is how rules word it.
    pub fn go1_minor(v: &str) -> Option<u32> {
        GoVersion::parse(v).filter(|g| g.major == 1 && g.minor > 0).map(|g| g.minor)
    }

    /// Whether this is `1.<minor>` or later.
    pub fn at_least(self, minor: u32) -> bool {
        self.major > 1 || (self.major == 1 && self.minor >= minor)
    }
}

#[cfg(test)]
mod tests {
    use super::GoVersion;

    #[test]
    fn parses_what_go_writes() {
        assert_eq!(GoVersion::parse("go1.22"), Some(GoVersion { major: 1, minor: 22, patch: 0 }));
        assert_eq!(GoVersion::parse("go1.23rc1"), Some(GoVersion { major: 1, minor: 23, patch: 0 }));
        assert_eq!(GoVersion::parse("1.21.3"), Some(GoVersion { major: 1, minor: 21, patch: 3 }));
        assert_eq!(GoVersion::parse("go1.21.0"), Some(GoVersion { major: 1, minor: 21, patch: 0 }));
        assert_eq!(GoVersion::parse("go1.22beta2"), Some(GoVersion { major: 1, minor: 22, patch: 0 }));
        assert_eq!(GoVersion::parse(""), None);
        assert_eq!(GoVersion::parse("devel"), None);
        assert_eq!(GoVersion::go1_minor("go1.23rc1"), Some(23));
        assert_eq!(GoVersion::go1_minor("1.20"), Some(20));
        assert_eq!(GoVersion::go1_minor("go2.0"), None);
    }

    #[test]
    fn language_facts_are_the_releases_that_changed_them() {
        assert!(!GoVersion::parse("go1.21.13").unwrap().at_least(super::PER_ITERATION_LOOP_VARS));
        assert!(GoVersion::parse("go1.22.0").unwrap().at_least(super::PER_ITERATION_LOOP_VARS));
        assert!(!GoVersion::parse("go1.20").unwrap().at_least(super::BUILTIN_MIN_MAX));
        assert!(GoVersion::parse("go1.21rc2").unwrap().at_least(super::BUILTIN_MIN_MAX));
    }

    #[test]
    fn compares_releases() {
        assert!(GoVersion::parse("go1.22").unwrap().at_least(22));
        assert!(!GoVersion::parse("go1.21.9").unwrap().at_least(22));
        assert!(GoVersion::parse("go1.23rc1").unwrap().at_least(22));
        assert!(GoVersion::parse("2.0").unwrap().at_least(22));
    }
}

//! Progress on stderr for long runs: a spinner with the current step, only when stderr is a terminal
//! and the user did not ask for quiet or JSON output.

use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        let bar = (enabled && console::Term::stderr().is_term()).then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"));
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        Progress { bar }
    }

    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    pub fn step(&self, msg: &str) {
        if let Some(b) = &self.bar {
            b.set_message(msg.to_string());
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

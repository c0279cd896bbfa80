//! What the end-to-end tests share.

use std::path::Path;

use assert_cmd::Command;

/// A `hush` command isolated from the user's environment: data directory
/// and working directory in `home`, no `HUSH_*` variables.
pub fn hush(home: &Path) -> Command {
    let mut c = Command::cargo_bin("hush").unwrap();
    for (k, _) in std::env::vars() {
        if k.starts_with("HUSH_") {
            c.env_remove(k);
        }
    }
    c.env("HOME", home).env("XDG_DATA_HOME", home.join("data"));
    c.current_dir(home);
    c
}

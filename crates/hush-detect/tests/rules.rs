//! Every built-in rule compiles alone and together and honours its own
//! examples and negative examples.

use hush_detect::{check_rules, Scanner};

#[test]
fn builtin_rules_pass_their_examples() {
    let failures = check_rules(&Scanner::builder()).expect("rules build");
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} rule check failures", failures.len());
}

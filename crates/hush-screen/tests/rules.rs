//! Every built-in rule flags each of its examples and none of its
//! negative examples, and the built-in rule set builds.

use hush_screen::Screener;

#[test]
fn builtin_rules_pass_their_examples() {
    let screener = Screener::new().expect("built-in rules build");
    let failures = screener.check_examples();
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} rule example failures", failures.len());
}

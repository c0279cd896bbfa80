//! Model patterns such as `claude-*`: a key may be limited to the
//! models whose names match one of its patterns.
//!
//! Only `*` (any run of characters, empty included) and `?` (one
//! character) are special; everything else matches itself, case
//! sensitively, like model ids. Matching is iterative with one
//! backtrack point, so it is linear-ish and cannot blow up on hostile
//! patterns or model names.

use crate::KeyError;

/// Longest pattern accepted.
const MAX_PATTERN: usize = 200;

/// Checks that a model pattern is acceptable: not empty, not too long,
/// printable ASCII without spaces.
pub(crate) fn validate(pattern: &str) -> Result<(), KeyError> {
    if pattern.is_empty() || pattern.len() > MAX_PATTERN {
        return Err(KeyError::Invalid(format!(
            "a model pattern must have 1 to {MAX_PATTERN} characters"
        )));
    }
    if !pattern.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(KeyError::Invalid(format!(
            "model pattern {pattern:?}: only printable ASCII, no spaces"
        )));
    }
    Ok(())
}

/// Whether `name` matches `pattern`.
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    // Where the last `*` was, and where in `name` it started matching.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let cases = [
            ("claude-*", "claude-sonnet-4-5", true),
            ("claude-*", "claude-", true),
            ("claude-*", "claud", false),
            ("claude-*", "gpt-claude-x", false),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("claude-?-x", "claude-3-x", true),
            ("claude-?-x", "claude-35-x", false),
            ("*sonnet*", "claude-sonnet-4", true),
            ("*haiku", "claude-sonnet-4", false),
            ("a*b*c", "aXXbYYbZZc", true),
            ("a*b*c", "aXXbYYbZZ", false),
            ("claude-opus-4-1", "claude-opus-4-1", true),
            ("Claude-*", "claude-x", false),
        ];
        for (p, n, want) in cases {
            assert_eq!(matches(p, n), want, "{p:?} vs {n:?}");
        }
    }

    #[test]
    fn hostile_patterns_stay_fast() {
        let p = "*a".repeat(50) + "b";
        let n = "a".repeat(5000);
        assert!(!matches(&p, &n));
    }

    #[test]
    fn validation() {
        assert!(validate("claude-*").is_ok());
        assert!(validate("").is_err());
        assert!(validate("claude *").is_err());
        assert!(validate(&"x".repeat(201)).is_err());
    }
}

//! Generators for SECRET values: provider tokens with their real prefixes
//! and lengths, JWTs, PEM private keys, connection strings with passwords,
//! and high-entropy values for generic `password = ...` assignments.

use super::checksum::{base64, base64url};
use super::filler;
use super::rng::{
    self, chance, chars_from, int, pick, Rng, ALNUM, DIGITS, HEX_LOWER,
    URLSAFE,
};
use super::values::ascii_slug;

const BASE32_AWS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const AWS_SECRET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";

fn alnum(rng: &mut Rng, n: usize) -> String {
    chars_from(rng, ALNUM, n)
}

fn urlsafe(rng: &mut Rng, n: usize) -> String {
    chars_from(rng, URLSAFE, n)
}

pub fn anthropic(rng: &mut Rng) -> String {
    format!("sk-ant-api03-{}AA", urlsafe(rng, 93))
}

pub fn openai(rng: &mut Rng) -> String {
    if chance(rng, 0.6) {
        let n = int(rng, 120, 160) as usize;
        format!("sk-proj-{}", urlsafe(rng, n))
    } else {
        format!("sk-{}T3BlbkFJ{}", alnum(rng, 20), alnum(rng, 20))
    }
}

pub fn aws_key_id(rng: &mut Rng) -> String {
    let p = if chance(rng, 0.75) { "AKIA" } else { "ASIA" };
    format!("{p}{}", chars_from(rng, BASE32_AWS, 16))
}

/// AWS secret access key: only print right after an
/// `aws_secret_access_key` / `AWS_SECRET_ACCESS_KEY` assignment.
pub fn aws_secret(rng: &mut Rng) -> String {
    chars_from(rng, AWS_SECRET, 40)
}

pub fn github(rng: &mut Rng) -> String {
    if chance(rng, 0.25) {
        format!("github_pat_{}_{}", alnum(rng, 22), alnum(rng, 59))
    } else {
        let p = pick(
            rng,
            &["ghp_", "ghp_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        );
        format!("{p}{}", alnum(rng, 36))
    }
}

pub fn gitlab(rng: &mut Rng) -> String {
    format!("glpat-{}", urlsafe(rng, 20))
}

pub fn slack(rng: &mut Rng) -> String {
    let p = if chance(rng, 0.6) { "xoxb" } else { "xoxp" };
    let a = int(rng, 10, 13) as usize;
    let b = int(rng, 10, 13) as usize;
    format!(
        "{p}-{}{}-{}{}-{}",
        int(rng, 1, 9),
        chars_from(rng, DIGITS, a - 1),
        int(rng, 1, 9),
        chars_from(rng, DIGITS, b - 1),
        alnum(rng, 24)
    )
}

pub fn stripe(rng: &mut Rng) -> String {
    let p = pick(rng, &["sk_live_", "sk_live_", "rk_live_", "sk_test_"]);
    let n = int(rng, 24, 60) as usize;
    format!("{p}{}", alnum(rng, n))
}

pub fn google(rng: &mut Rng) -> String {
    format!("AIza{}", urlsafe(rng, 35))
}

pub fn twilio(rng: &mut Rng) -> String {
    format!("SK{}", chars_from(rng, HEX_LOWER, 32))
}

pub fn sendgrid(rng: &mut Rng) -> String {
    format!("SG.{}.{}", urlsafe(rng, 22), urlsafe(rng, 43))
}

pub fn npm(rng: &mut Rng) -> String {
    format!("npm_{}", alnum(rng, 36))
}

pub fn pypi(rng: &mut Rng) -> String {
    let n = int(rng, 60, 120) as usize;
    format!("pypi-AgEIcHlwaS5vcmc{}", urlsafe(rng, n))
}

pub fn jwt(rng: &mut Rng) -> String {
    let (header, sig_len) = match int(rng, 0, 3) {
        0 | 1 => (r#"{"alg":"HS256","typ":"JWT"}"#.to_owned(), 32),
        2 => (
            format!(
                r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#,
                rng::hex(rng, 16)
            ),
            256,
        ),
        _ => (r#"{"typ":"JWT","alg":"ES256"}"#.to_owned(), 64),
    };
    let iat = int(rng, 1_600_000_000, 1_790_000_000);
    let payload = format!(
        r#"{{"sub":"{}","iat":{iat},"exp":{},"scope":"{}"}}"#,
        int(rng, 10_000, 9_999_999),
        iat + pick(rng, &[900, 3600, 86_400]),
        pick(rng, &["read", "read write", "admin", "openid profile"])
    );
    format!(
        "{}.{}.{}",
        base64url(header.as_bytes()),
        base64url(payload.as_bytes()),
        base64url(&rng::bytes(rng, sig_len))
    )
}

/// A PEM private key block, lines joined with `nl` ("\n" in files, a
/// literal backslash-n inside JSON strings).
pub fn pem_with(rng: &mut Rng, nl: &str) -> String {
    let (kind, prefix, n_bytes, width) = match int(rng, 0, 3) {
        0 => (
            "RSA PRIVATE KEY",
            vec![
                0x30u8, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01,
                0x01, 0x00,
            ],
            int(rng, 300, 900),
            64,
        ),
        1 => (
            "EC PRIVATE KEY",
            vec![0x30u8, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20],
            121,
            64,
        ),
        2 => (
            "PRIVATE KEY",
            vec![
                0x30u8, 0x82, 0x04, 0xbd, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06,
                0x09,
            ],
            int(rng, 300, 900),
            64,
        ),
        _ => (
            "OPENSSH PRIVATE KEY",
            b"openssh-key-v1\0\0\0\0\x04none".to_vec(),
            int(rng, 200, 400),
            70,
        ),
    };
    let mut der = prefix;
    let extra = (n_bytes as usize).saturating_sub(der.len());
    der.extend(rng::bytes(rng, extra));
    let body = base64(&der);
    let mut out = format!("-----BEGIN {kind}-----");
    for chunk in body.as_bytes().chunks(width) {
        out.push_str(nl);
        out.push_str(std::str::from_utf8(chunk).expect("ascii"));
    }
    out.push_str(nl);
    out.push_str(&format!("-----END {kind}-----"));
    out
}

pub fn pem(rng: &mut Rng) -> String {
    pem_with(rng, "\n")
}

/// A URL-safe password for use inside a connection string.
fn url_password(rng: &mut Rng) -> String {
    let n = int(rng, 10, 24) as usize;
    let mut p = alnum(rng, n);
    if chance(rng, 0.3) {
        p.insert(
            int(rng, 1, n as u64 - 1) as usize,
            pick(rng, &['-', '_', '~', '!']),
        );
    }
    p
}

fn db_host(rng: &mut Rng) -> String {
    let w = ascii_slug(&filler::brand_word(rng));
    match int(rng, 0, 3) {
        0 => format!("db.{w}.internal"),
        1 => format!(
            "{w}-prod.c{}.us-east-1.rds.amazonaws.com",
            rng::hex(rng, 10)
        ),
        2 => format!("pg-{}.{w}.io", int(rng, 1, 9)),
        _ => format!("{w}-db-{}", int(rng, 1, 3)),
    }
}

/// A database/broker URL with an embedded password (SECRET as a whole).
pub fn conn_string(rng: &mut Rng) -> String {
    let user = pick(
        rng,
        &[
            "app", "admin", "postgres", "svc_api", "root", "etl", "readonly",
            "deploy",
        ],
    );
    let pw = url_password(rng);
    let db = ascii_slug(&filler::brand_word(rng));
    match int(rng, 0, 5) {
        0 | 1 => format!(
            "{}://{user}:{pw}@{}:5432/{db}",
            pick(rng, &["postgres", "postgresql"]),
            db_host(rng)
        ),
        2 => format!("mysql://{user}:{pw}@{}:3306/{db}", db_host(rng)),
        3 => format!(
            "mongodb+srv://{user}:{pw}@cluster{}.{}.mongodb.net/{db}?retryWrites=true&w=majority",
            int(rng, 0, 3),
            chars_from(rng, b"abcdefghijklmnopqrstuvwxyz0123456789", 5)
        ),
        4 => format!("redis://:{pw}@{}:6379/{}", db_host(rng), int(rng, 0, 3)),
        _ => format!("amqp://{user}:{pw}@{}:5672/{db}", db_host(rng)),
    }
}

/// A random high-entropy value (12-40 chars) for generic assignments.
/// `quoted` allows a few symbols that would break unquoted YAML/.env.
pub fn generic_value(rng: &mut Rng, quoted: bool) -> String {
    const SYMS_Q: &[u8] = b"!#$%^&*-_+=~";
    const SYMS_U: &[u8] = b"-_";
    let n = int(rng, 12, 40) as usize;
    loop {
        let mut v: Vec<u8> = alnum(rng, n).into_bytes();
        let syms = if quoted { SYMS_Q } else { SYMS_U };
        for _ in 0..int(rng, 0, 3) {
            let i = int(rng, 1, n as u64 - 2) as usize;
            v[i] = pick(rng, syms);
        }
        let s = String::from_utf8(v).expect("ascii");
        let has = |f: fn(&char) -> bool| s.chars().any(|c| f(&c));
        if has(char::is_ascii_digit)
            && has(char::is_ascii_uppercase)
            && has(char::is_ascii_lowercase)
        {
            return s;
        }
    }
}

/// Any single-line provider token (the kinds that stand alone, without an
/// assignment, and stay recognisable).
pub fn token(rng: &mut Rng) -> String {
    match int(rng, 0, 14) {
        0 => anthropic(rng),
        1 => openai(rng),
        2 | 3 => aws_key_id(rng),
        4 | 5 => github(rng),
        6 => gitlab(rng),
        7 => slack(rng),
        8 => stripe(rng),
        9 => google(rng),
        10 => twilio(rng),
        11 => sendgrid(rng),
        12 => npm(rng),
        13 => pypi(rng),
        _ => jwt(rng),
    }
}

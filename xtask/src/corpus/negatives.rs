//! The `negatives` set: text full of look-alikes that must produce no
//! finding (hashes, UUIDs, timestamps, versions, order numbers, numbers
//! that fail their checksums, reserved e-mail domains, data URIs, ...).
//! Every record has `"spans": []`.

use super::checksum::{iban_valid, luhn_check_digit};
use super::doc::Doc;
use super::filler;
use super::rng::{
    self, chance, digit_vec, digits, int, join_digits, pick, Rng,
};
use super::sets::PROSE_FILLER;
use super::template::{fill, fill_one, Ctx};
use super::values;

/// A card-shaped number (real IIN, right length) whose Luhn digit is wrong.
pub fn luhn_failing(rng: &mut Rng) -> String {
    let prefix: &[u8] = pick(
        rng,
        &[&[4u8][..], &[5, 4], &[6, 0, 1, 1], &[3, 5, 3, 0], &[1, 2], &[9]],
    );
    let mut d = prefix.to_vec();
    d.extend(digit_vec(rng, 15 - d.len()));
    let good = luhn_check_digit(&d);
    d.push((good + int(rng, 1, 9) as u8) % 10);
    let s = join_digits(&d);
    match int(rng, 0, 2) {
        0 => format!("{} {} {} {}", &s[..4], &s[4..8], &s[8..12], &s[12..]),
        1 => format!("{}-{}-{}-{}", &s[..4], &s[4..8], &s[8..12], &s[12..]),
        _ => s,
    }
}

/// An IBAN-shaped string whose check digits are wrong.
pub fn iban_failing(rng: &mut Rng) -> String {
    let good = values::iban_compact(rng);
    let check: u32 = good[2..4].parse().expect("digits");
    let bad_check = loop {
        let c = int(rng, 2, 98) as u32;
        if c != check {
            break c;
        }
    };
    let bad = format!("{}{bad_check:02}{}", &good[..2], &good[4..]);
    debug_assert!(!iban_valid(&bad));
    if chance(rng, 0.5) {
        values::iban_grouped(&bad)
    } else {
        bad
    }
}

/// SSN-shaped but never issued: area 000/666/9xx, group 00 or serial
/// 0000. 9xx areas use groups outside the ITIN ranges.
pub fn ssn_invalid(rng: &mut Rng) -> String {
    let (a, g, s) = match int(rng, 0, 4) {
        0 => (0, int(rng, 1, 99), int(rng, 1, 9999)),
        1 => (666, int(rng, 1, 99), int(rng, 1, 9999)),
        2 => (
            int(rng, 900, 999),
            pick(rng, &[1, 7, 12, 23, 34, 45, 49, 66, 67, 68, 69, 89, 93]),
            int(rng, 1, 9999),
        ),
        3 => (int(rng, 1, 899), 0, int(rng, 1, 9999)),
        _ => (int(rng, 1, 899), int(rng, 1, 99), 0),
    };
    format!("{a:03}-{g:02}-{s:04}")
}

fn isbn13(rng: &mut Rng) -> String {
    let mut d = vec![9, 7, pick(rng, &[8u8, 9])];
    d.extend(digit_vec(rng, 9));
    let sum: u32 = d
        .iter()
        .enumerate()
        .map(|(i, &x)| u32::from(x) * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    d.push(((10 - sum % 10) % 10) as u8);
    let s = join_digits(&d);
    format!("{}-{}-{}-{}-{}", &s[..3], &s[3..4], &s[4..6], &s[6..12], &s[12..])
}

fn isbn10(rng: &mut Rng) -> String {
    let d = digit_vec(rng, 9);
    let sum: u32 = d
        .iter()
        .enumerate()
        .map(|(i, &x)| u32::from(x) * (10 - i as u32))
        .sum();
    let c = (11 - sum % 11) % 11;
    let check = if c == 10 { "X".to_owned() } else { c.to_string() };
    let s = join_digits(&d);
    format!("{}-{}-{}-{check}", &s[..1], &s[1..4], &s[4..])
}

fn reserved_email(rng: &mut Rng) -> String {
    // Placeholder local parts only: a person-like handle at a reserved
    // domain is an address (see `generic_local_part` in hush-detect).
    let local = match int(rng, 0, 3) {
        0 => pick(rng, &["someone", "your.name", "firstname.lastname", "me"])
            .to_owned(),
        1 => format!("{}.doe", pick(rng, &["john", "jane"])),
        2 => (pick(
            rng,
            &["user", "admin", "noreply", "test", "info", "alice", "bob"],
        ))
        .to_owned(),
        _ => format!("user{}", int(rng, 1, 99)),
    };
    let dom = pick(
        rng,
        &["example.com", "example.org", "example.net", "mail.example.com"],
    );
    format!("{local}@{dom}")
}

fn five_part_version(rng: &mut Rng) -> String {
    (0..5).map(|_| int(rng, 0, 20).to_string()).collect::<Vec<_>>().join(".")
}

fn semver_range(rng: &mut Rng) -> String {
    let (a, b, c) = (int(rng, 0, 9), int(rng, 0, 20), int(rng, 0, 30));
    match int(rng, 0, 4) {
        0 => format!("^{a}.{b}.{c}"),
        1 => format!("~{a}.{b}.{c}"),
        2 => format!(">={a}.{b}.{c}, <{}.0.0", a + 1),
        3 => format!("{a}.{b}.x"),
        _ => format!(">= {a}.{b} < {}", a + 1),
    }
}

fn hex_colour(rng: &mut Rng) -> String {
    if chance(rng, 0.7) {
        format!("#{}", rng::hex(rng, 6))
    } else {
        format!("#{}", rng::hex(rng, 3))
    }
}

fn negative_line(rng: &mut Rng, doc: &mut Doc, ctx: &mut Ctx) {
    match int(rng, 0, 27) {
        0 => fill(doc, rng, ctx, "Commit {sha} fixed the regression; see also {sha7}."),
        1 => fill(doc, rng, ctx, "Build {uuid} finished at {ts} with {n} warnings."),
        2 => fill(doc, rng, ctx, "The artifact digest is sha256:{sha256}."),
        3 => {
            let v = five_part_version(rng);
            fill(doc, rng, ctx, &format!("Upgrade to {{ver}} or later; the legacy {v} build is deprecated."));
        }
        4 => doc.push(&format!("Order #{} shipped {} days ago.", digits(rng, 9), int(rng, 2, 9))),
        5 => {
            let price = filler::price(rng);
            doc.push(&format!("Invoice INV-{}-{} totals {price}.", int(rng, 2019, 2025), digits(rng, 6)));
        }
        6 => doc.push(&format!("Please quote PO 45000{} on the delivery note.", digits(rng, 5))),
        7 => doc.push(&format!("Tracking number {} was not found.", luhn_failing(rng))),
        8 => doc.push(&format!("Reference {} has been archived.", luhn_failing(rng))),
        9 => doc.push(&format!("The sample account {} fails validation.", iban_failing(rng))),
        10 => doc.push(&format!("Employee badge {} was reissued.", ssn_invalid(rng))),
        11 => doc.push(&format!("Form field SSN: {} (rejected: not a valid number).", ssn_invalid(rng))),
        12 => doc.push(&format!("Write to {} if you have questions.", reserved_email(rng))),
        13 => doc.push(&format!("<img alt=\"logo\" src=\"{}\">", filler::data_uri(rng))),
        14 => fill(doc, rng, ctx, "Tickets cost {price} and sold out in {n} minutes; {pct} went to members."),
        15 => doc.push(&format!("ISBN {} (hardcover), ISBN {} (paperback).", isbn13(rng), isbn10(rng))),
        16 => doc.push(&format!("Requires node {} and npm {}.", semver_range(rng), semver_range(rng))),
        17 => doc.push(&format!("Brand colours: {} and {}.", hex_colour(rng), hex_colour(rng))),
        18 => fill(doc, rng, ctx, "Created at epoch {epoch}, updated at {ts}."),
        19 => fill(doc, rng, ctx, "{ts} INFO job {uuid} completed in {ms}ms"),
        20 => fill(doc, rng, ctx, "Uptime was {pct} and p99 latency {ms} ms at {time}."),
        21 => fill(doc, rng, ctx, "Release {ver} ({sha7}) is tagged as v{n}.{n}.{n}."),
        22 => fill(doc, rng, ctx, "Request {uuid} returned {status} after {ms} ms."),
        23 => doc.push(&format!("Contact: {} / {}", reserved_email(rng), reserved_email(rng))),
        24 => fill(doc, rng, ctx, "integrity {sri}"),
        25 => doc.push(&format!("Batch {} of {} processed at {}.", int(rng, 1, 40), int(rng, 40, 90), filler::epoch(rng))),
        _ => fill_one(doc, rng, ctx, &PROSE_FILLER_NO_NAMES),
    }
}

/// Prose filler without people, places or companies (those are labelled
/// entities now; the negatives hold no labelled span).
static PROSE_FILLER_NO_NAMES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| {
        PROSE_FILLER
            .iter()
            .copied()
            .filter(|t| {
                !["{name}", "{first}", "{city}", "{company}", "{oname}"]
                    .iter()
                    .any(|k| t.contains(k))
            })
            .collect()
    });

pub fn gen_negative(rng: &mut Rng) -> Doc {
    let mut doc = Doc::new();
    let mut ctx = Ctx::default();
    for i in 0..int(rng, 2, 6) {
        if i > 0 {
            doc.push(if chance(rng, 0.7) { " " } else { "\n" });
        }
        negative_line(rng, &mut doc, &mut ctx);
    }
    debug_assert!(doc.spans.is_empty());
    doc
}

//! Generators for the labelled value kinds (everything except secrets,
//! which live in `secrets.rs`). Every value is random from the seeded RNG,
//! carries correct check digits, and is printed in one of the formats the
//! gold-span conventions name.

use super::checksum::{
    aba_check_digit, base58check, bech32_encode, iban_check_digits,
    luhn_check_digit, nhs_check_digit, to_5bit,
};
use super::filler;
use super::rng::{
    self, chance, chars_from, digit_vec, digits, int, join_digits, pick, Rng,
    UPPER,
};

// ---------------------------------------------------------------- EMAIL

const TLDS: &[&str] = &[
    "com", "com", "com", "io", "net", "org", "co.uk", "de", "fr", "dev", "ai",
    "co",
];
const FREEMAIL: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "proton.me",
    "icloud.com",
    "gmx.de",
    "hotmail.co.uk",
    "fastmail.fm",
];
const IDN_DOMAINS: &[&str] = &[
    "müller.de",
    "bäckerei-schmidt.de",
    "zürich-treuhand.ch",
    "café-lumière.fr",
    "ñandú.es",
    "straßenbau-köhler.de",
];

/// Lower-case ASCII slug of a (possibly accented) word.
pub fn ascii_slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            'ä' | 'Ä' | 'æ' => out.push_str("ae"),
            'ö' | 'Ö' | 'ø' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'à' | 'á' | 'â' | 'ã' | 'å' => out.push('a'),
            'è' | 'é' | 'ê' | 'ë' | 'É' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ò' | 'ó' | 'ô' | 'õ' => out.push('o'),
            'ù' | 'ú' | 'û' => out.push('u'),
            'ç' => out.push('c'),
            'ñ' => out.push('n'),
            'ł' | 'Ł' => out.push('l'),
            _ => {}
        }
    }
    out
}

/// A company-like domain name (never example.*).
pub fn domain(rng: &mut Rng) -> String {
    let base = loop {
        let w = match int(rng, 0, 3) {
            0 => ascii_slug(&filler::last_name_en(rng)),
            1 => format!(
                "{}{}",
                ascii_slug(&filler::brand_word(rng)),
                pick(rng, &["", "hq", "labs", "app", "corp", "group"])
            ),
            2 => format!(
                "{}-{}",
                ascii_slug(&filler::brand_word(rng)),
                ascii_slug(&filler::brand_word(rng))
            ),
            _ => ascii_slug(&filler::brand_word(rng)),
        };
        if w.len() >= 3 && !w.contains("example") {
            break w;
        }
    };
    let tld = pick(rng, TLDS);
    if chance(rng, 0.12) {
        let sub = pick(
            rng,
            &["mail", "eu", "us", "corp", "hr", "billing", "support", "team"],
        );
        format!("{sub}.{base}.{tld}")
    } else {
        format!("{base}.{tld}")
    }
}

pub fn email(rng: &mut Rng) -> String {
    let first = filler::first_name_en(rng);
    let last = filler::last_name_en(rng);
    email_for(rng, &first, &last)
}

/// An address derived from a person's name.
pub fn email_for(rng: &mut Rng, first: &str, last: &str) -> String {
    let f = nonempty_slug(rng, first);
    let l = nonempty_slug(rng, last);
    let local = match int(rng, 0, 9) {
        0..=2 => format!("{f}.{l}"),
        3 => format!("{}{l}", &f[..1]),
        4 => format!(
            "{f}+{}",
            pick(rng, &["news", "work", "shop", "github", "billing", "test"])
        ),
        5 => format!("{f}{}", int(rng, 1, 99)),
        6 => format!("{f}_{l}"),
        7 => format!(
            "{f}.{}.{l}",
            &ascii_slug(&filler::first_name_en(rng))[..1]
        ),
        8 => format!("{l}.{f}{}", int(rng, 70, 99)),
        _ => f.clone(),
    };
    let dom = match int(rng, 0, 19) {
        0..=5 => (pick(rng, FREEMAIL)).to_owned(),
        6 => (pick(rng, IDN_DOMAINS)).to_owned(),
        _ => domain(rng),
    };
    format!("{local}@{dom}")
}

fn nonempty_slug(rng: &mut Rng, s: &str) -> String {
    let slug = ascii_slug(s);
    if slug.is_empty() {
        ascii_slug(&filler::first_name_en(rng))
    } else {
        slug
    }
}

// ---------------------------------------------------------------- PHONE

const US_AREAS: &[u16] = &[
    212, 213, 206, 303, 305, 312, 347, 404, 415, 416, 503, 512, 604, 617, 646,
    702, 718, 773, 858, 917, 514, 202, 480, 919,
];

fn us_parts(rng: &mut Rng) -> (String, String, String) {
    let area = if chance(rng, 0.6) {
        pick(rng, US_AREAS).to_string()
    } else {
        format!("{}{}{}", int(rng, 2, 9), int(rng, 0, 8), int(rng, 0, 9))
    };
    let (exch, line) = if chance(rng, 0.6) {
        ("555".to_owned(), format!("01{}", digits(rng, 2)))
    } else {
        (format!("{}{}", int(rng, 2, 9), digits(rng, 2)), digits(rng, 4))
    };
    (area, exch, line)
}

/// A phone number in a US/CA, UK, DE, FR, IN or AU format, sometimes
/// with an extension.
pub fn phone(rng: &mut Rng) -> String {
    let mut p = match int(rng, 0, 99) {
        0..=39 => phone_us(rng),
        40..=54 => phone_uk(rng),
        55..=64 => phone_de(rng),
        65..=74 => phone_fr(rng),
        75..=84 => phone_in(rng),
        _ => phone_au(rng),
    };
    if chance(rng, 0.08) {
        let ext = match int(rng, 0, 2) {
            0 => format!(" ext. {}", int(rng, 10, 999)),
            1 => format!(" ext {}", int(rng, 10, 99)),
            _ => format!(" x{}", int(rng, 100, 9999)),
        };
        p.push_str(&ext);
    }
    p
}

pub fn phone_us(rng: &mut Rng) -> String {
    let (a, e, l) = us_parts(rng);
    match int(rng, 0, 5) {
        0 | 1 => format!("({a}) {e}-{l}"),
        2 => format!("{a}-{e}-{l}"),
        3 => format!("{a}.{e}.{l}"),
        4 => format!("+1 {a} {e} {l}"),
        _ => format!("+1-{a}-{e}-{l}"),
    }
}

fn phone_uk(rng: &mut Rng) -> String {
    let land = format!("7946 0{}", digits(rng, 3));
    let mob = format!(
        "{}{}",
        pick(rng, &["900", "900", "912", "987"]),
        digits(rng, 3)
    );
    match int(rng, 0, 3) {
        0 => format!("+44 20 {land}"),
        1 => format!("020 {land}"),
        2 => format!("07700 {mob}"),
        _ => format!("+44 7700 {mob}"),
    }
}

fn phone_de(rng: &mut Rng) -> String {
    let city = pick(rng, &["30", "40", "89", "69", "221"]);
    let len = 6 + int(rng, 0, 1) as usize;
    let sub = format!("{}{}", int(rng, 2, 9), digits(rng, len));
    match int(rng, 0, 2) {
        0 => format!("+49 {city} {sub}"),
        1 => format!("0{city} {sub}"),
        _ => format!(
            "+49 {} {}",
            pick(rng, &["151", "160", "170", "176"]),
            digits(rng, 8)
        ),
    }
}

fn phone_fr(rng: &mut Rng) -> String {
    let pairs: Vec<String> = (0..4).map(|_| digits(rng, 2)).collect();
    let p = pairs.join(" ");
    match int(rng, 0, 2) {
        0 => format!("+33 {} {p}", int(rng, 1, 7)),
        1 => format!("0{} {p}", int(rng, 1, 5)),
        _ => format!("0{} {p}", pick(rng, &[6, 7])),
    }
}

fn phone_in(rng: &mut Rng) -> String {
    let first = int(rng, 6, 9);
    let a = format!("{first}{}", digits(rng, 4));
    let b = digits(rng, 5);
    if chance(rng, 0.5) {
        format!("+91 {a} {b}")
    } else {
        format!("+91-{a}{b}")
    }
}

fn phone_au(rng: &mut Rng) -> String {
    let area = pick(rng, &[2, 3, 7, 8]);
    let land =
        format!("{}{} {}", int(rng, 3, 9), digits(rng, 3), digits(rng, 4));
    let mob =
        format!("4{} {} {}", digits(rng, 2), digits(rng, 3), digits(rng, 3));
    match int(rng, 0, 3) {
        0 => format!("+61 {area} {land}"),
        1 => format!("(0{area}) {land}"),
        2 => format!("0{mob}"),
        _ => format!("+61 {mob}"),
    }
}

// ---------------------------------------------------------------- SSN / ITIN

fn ssn_parts(rng: &mut Rng) -> (u64, u64, u64) {
    loop {
        let area = int(rng, 1, 899);
        let group = int(rng, 1, 99);
        let serial = int(rng, 1, 9999);
        if area == 666
            || (area, group, serial) == (78, 5, 1120)
            || (area, group, serial) == (219, 9, 9999)
        {
            continue;
        }
        return (area, group, serial);
    }
}

/// A valid SSN with separators (`123-45-6789`, sometimes spaces).
pub fn ssn(rng: &mut Rng) -> String {
    let (a, g, s) = ssn_parts(rng);
    if chance(rng, 0.8) {
        format!("{a:03}-{g:02}-{s:04}")
    } else {
        format!("{a:03} {g:02} {s:04}")
    }
}

/// A valid SSN, possibly unseparated: only for use right after "SSN: " or
/// "social security number".
pub fn ssn_in_context(rng: &mut Rng) -> String {
    if chance(rng, 0.3) {
        let (a, g, s) = ssn_parts(rng);
        format!("{a:03}{g:02}{s:04}")
    } else {
        ssn(rng)
    }
}

pub fn itin(rng: &mut Rng) -> String {
    let group = loop {
        let g = int(rng, 50, 99);
        if matches!(g, 50..=65 | 70..=88 | 90..=92 | 94..=99) {
            break g;
        }
    };
    format!("9{}-{group}-{}", digits(rng, 2), digits(rng, 4))
}

// ---------------------------------------------------------------- CARD

pub fn credit_card(rng: &mut Rng) -> String {
    let (prefix, len): (String, usize) = match int(rng, 0, 99) {
        0..=39 => ("4".into(), 16),
        40..=54 => (int(rng, 51, 55).to_string(), 16),
        55..=62 => (int(rng, 2221, 2720).to_string(), 16),
        63..=74 => (pick(rng, &["34", "37"]).to_string(), 15),
        75..=81 => (pick(rng, &["6011", "65"]).to_string(), 16),
        82..=91 => (int(rng, 3528, 3589).to_string(), 16),
        _ => ("36".into(), 14),
    };
    let mut d: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
    d.extend(digit_vec(rng, len - 1 - d.len()));
    d.push(luhn_check_digit(&d));
    let s = join_digits(&d);
    let groups: &[usize] = match len {
        15 => &[4, 6, 5],
        14 => &[4, 6, 4],
        _ => &[4, 4, 4, 4],
    };
    match int(rng, 0, 9) {
        0..=4 => group(&s, groups, " "),
        5..=6 => group(&s, groups, "-"),
        _ => s,
    }
}

fn group(s: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    for &n in sizes {
        out.push(&s[i..i + n]);
        i += n;
    }
    out.join(sep)
}

// ---------------------------------------------------------------- IBAN

fn upper(rng: &mut Rng, n: usize) -> String {
    chars_from(rng, UPPER, n)
}

/// French RIB key over numeric bank, branch and account.
fn rib_key(bank: &str, branch: &str, account: &str) -> u64 {
    let b: u64 = bank.parse().expect("digits");
    let g: u64 = branch.parse().expect("digits");
    let a: u64 = account.parse().expect("digits");
    97 - (89 * b + 15 * g + 3 * a) % 97
}

/// Spanish CCC control digit over 10 digits.
fn ccc_digit(ten: &str) -> u32 {
    const W: [u32; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    let s: u32 =
        ten.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    match 11 - s % 11 {
        11 => 0,
        10 => 1,
        d => d,
    }
}

/// The compact BBAN and country of a random IBAN.
pub fn iban_compact(rng: &mut Rng) -> String {
    let (cc, bban) = match int(rng, 0, 9) {
        0 => ("DE", digits(rng, 18)),
        1 => ("GB", format!("{}{}", upper(rng, 4), digits(rng, 14))),
        2 => {
            let (bank, branch, acct) =
                (digits(rng, 5), digits(rng, 5), digits(rng, 11));
            let key = rib_key(&bank, &branch, &acct);
            ("FR", format!("{bank}{branch}{acct}{key:02}"))
        }
        3 => {
            let (bank, branch, acct) =
                (digits(rng, 4), digits(rng, 4), digits(rng, 10));
            let d1 = ccc_digit(&format!("00{bank}{branch}"));
            let d2 = ccc_digit(&acct);
            ("ES", format!("{bank}{branch}{d1}{d2}{acct}"))
        }
        4 => ("IT", format!("{}{}", upper(rng, 1), digits(rng, 22))),
        5 => ("NL", format!("{}{}", upper(rng, 4), digits(rng, 10))),
        6 => {
            let ten: u64 = digits(rng, 10).parse().expect("digits");
            let chk = match ten % 97 {
                0 => 97,
                r => r,
            };
            ("BE", format!("{ten:010}{chk:02}"))
        }
        7 => ("CH", digits(rng, 17)),
        8 => ("AT", digits(rng, 16)),
        _ => ("PL", digits(rng, 24)),
    };
    let check = iban_check_digits(cc, &bban);
    format!("{cc}{check:02}{bban}")
}

/// Group a compact IBAN in blocks of four separated by single spaces.
pub fn iban_grouped(compact: &str) -> String {
    compact
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn iban(rng: &mut Rng) -> String {
    let c = iban_compact(rng);
    if chance(rng, 0.6) {
        iban_grouped(&c)
    } else {
        c
    }
}

// ---------------------------------------------------------------- IP / MAC

pub fn ipv4(rng: &mut Rng) -> String {
    match int(rng, 0, 19) {
        0..=3 => format!(
            "10.{}.{}.{}",
            int(rng, 0, 255),
            int(rng, 0, 255),
            int(rng, 1, 254)
        ),
        4..=5 => format!(
            "172.{}.{}.{}",
            int(rng, 16, 31),
            int(rng, 0, 255),
            int(rng, 1, 254)
        ),
        6..=8 => format!("192.168.{}.{}", int(rng, 0, 255), int(rng, 1, 254)),
        9 => format!(
            "{}.{}",
            pick(rng, &["203.0.113", "198.51.100", "192.0.2"]),
            int(rng, 1, 254)
        ),
        _ => loop {
            let a = int(rng, 1, 223);
            if [10, 127, 172, 192, 169, 100].contains(&a) {
                continue;
            }
            break format!(
                "{a}.{}.{}.{}",
                int(rng, 0, 255),
                int(rng, 0, 255),
                int(rng, 1, 254)
            );
        },
    }
}

/// RFC 5952 text form of eight 16-bit groups.
pub fn ipv6_compressed(g: &[u16; 8]) -> String {
    // longest run (>= 2) of zero groups, first one on ties
    let (mut best, mut best_len) = (usize::MAX, 1);
    let mut i = 0;
    while i < 8 {
        if g[i] == 0 {
            let j = (i..8).find(|&j| g[j] != 0).unwrap_or(8);
            if j - i > best_len {
                best = i;
                best_len = j - i;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    let hexes = |r: &[u16]| {
        r.iter().map(|x| format!("{x:x}")).collect::<Vec<_>>().join(":")
    };
    if best == usize::MAX {
        hexes(g)
    } else {
        format!("{}::{}", hexes(&g[..best]), hexes(&g[best + best_len..]))
    }
}

fn ipv6_groups(rng: &mut Rng) -> [u16; 8] {
    let mut g = [0u16; 8];
    for x in g.iter_mut() {
        *x = int(rng, 0, 0xffff) as u16;
    }
    match int(rng, 0, 2) {
        0 => {
            g[0] = 0x2001;
            g[1] = 0x0db8;
        }
        1 => g[0] = pick(rng, &[0x2a00u16, 0x2600, 0x2a02, 0x2406, 0x2c0f]),
        _ => {
            // link-local: fe80::/64
            g[..4].copy_from_slice(&[0xfe80, 0, 0, 0]);
            return g;
        }
    }
    let zero_from = int(rng, 2, 5) as usize;
    let zero_len = int(rng, 0, 3) as usize;
    for x in g.iter_mut().take((zero_from + zero_len).min(8)).skip(zero_from) {
        *x = 0;
    }
    g
}

pub fn ipv6(rng: &mut Rng) -> String {
    match int(rng, 0, 9) {
        0..=2 => {
            let g = ipv6_groups(rng);
            g.iter().map(|x| format!("{x:04x}")).collect::<Vec<_>>().join(":")
        }
        3..=6 => ipv6_compressed(&ipv6_groups(rng)),
        7 => format!("fe80::{:x}", int(rng, 1, 0xffff)),
        _ => format!("::ffff:{}", ipv4(rng)),
    }
}

pub fn ip(rng: &mut Rng) -> String {
    if chance(rng, 0.75) {
        ipv4(rng)
    } else {
        ipv6(rng)
    }
}

pub fn mac(rng: &mut Rng) -> String {
    let b = rng::bytes(rng, 6);
    let upper_case = chance(rng, 0.5);
    let h: Vec<String> =
        b.iter()
            .map(|x| {
                if upper_case {
                    format!("{x:02X}")
                } else {
                    format!("{x:02x}")
                }
            })
            .collect();
    match int(rng, 0, 4) {
        0..=1 => h.join(":"),
        2..=3 => h.join("-"),
        _ => {
            let l: Vec<String> =
                b.iter().map(|x| format!("{x:02x}")).collect();
            format!("{}{}.{}{}.{}{}", l[0], l[1], l[2], l[3], l[4], l[5])
        }
    }
}

// ---------------------------------------------------------------- URL

pub fn url(rng: &mut Rng) -> String {
    let host = domain(rng);
    let mut path = String::new();
    for _ in 0..int(rng, 0, 3) {
        path.push('/');
        path.push_str(&filler::url_segment(rng));
    }
    let mut u = match int(rng, 0, 9) {
        0..=5 => format!(
            "https://{}{host}{path}",
            if chance(rng, 0.3) { "www." } else { "" }
        ),
        6..=7 => format!("http://{host}{path}"),
        _ => format!(
            "www.{host}{}",
            if path.is_empty() { "/".to_owned() } else { path.clone() }
        ),
    };
    if chance(rng, 0.25) {
        u.push_str(&format!(
            "?{}={}",
            pick(rng, &["id", "ref", "q", "page", "utm_source", "lang"]),
            if chance(rng, 0.5) {
                int(rng, 1, 999).to_string()
            } else {
                filler::url_segment(rng)
            }
        ));
        if chance(rng, 0.3) {
            u.push_str(&format!("&x={}", int(rng, 0, 9)));
        }
    }
    if chance(rng, 0.1) {
        u.push('#');
        u.push_str(&filler::url_segment(rng));
    }
    u
}

// ---------------------------------------------------------------- DATE

pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A calendar date in `years`, printed in one of the labelled formats.
pub fn date_in(rng: &mut Rng, years: (u64, u64)) -> String {
    let y = int(rng, years.0, years.1);
    let m = int(rng, 1, 12);
    let d = int(rng, 1, days_in_month(y, m));
    let name = MONTHS[(m - 1) as usize];
    match int(rng, 0, 7) {
        0 => format!("{y}-{m:02}-{d:02}"),
        1 => format!("{m:02}/{d:02}/{y}"),
        2 => format!("{d:02}/{m:02}/{y}"),
        3 => format!("{d:02}.{m:02}.{y}"),
        4 => format!("{name} {d}, {y}"),
        5 => format!("{d} {name} {y}"),
        6 => format!("{} {d}, {y}", &name[..3]),
        _ => format!("{d} {} {y}", &name[..3]),
    }
}

pub fn dob(rng: &mut Rng) -> String {
    date_in(rng, (1938, 2006))
}

pub fn recent_date(rng: &mut Rng) -> String {
    date_in(rng, (2015, 2026))
}

// ---------------------------------------------------------------- ID_NUMBER

/// UK National Insurance number (valid prefix and suffix).
pub fn nino(rng: &mut Rng) -> String {
    const FIRST: &[u8] = b"ABCEGHJKLMNOPRSTWXYZ";
    const SECOND: &[u8] = b"ABCEGHJKLMNPRSTWXYZ";
    let prefix = loop {
        let p = format!(
            "{}{}",
            pick(rng, FIRST) as char,
            pick(rng, SECOND) as char
        );
        if !["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"].contains(&p.as_str()) {
            break p;
        }
    };
    let d = digits(rng, 6);
    let suffix = pick(rng, b"ABCD") as char;
    if chance(rng, 0.5) {
        format!("{prefix} {} {} {} {suffix}", &d[..2], &d[2..4], &d[4..])
    } else {
        format!("{prefix}{d}{suffix}")
    }
}

/// NHS number, mod-11 valid; spaced 3-3-4 or compact.
pub fn nhs(rng: &mut Rng) -> String {
    loop {
        let mut p = [0u8; 9];
        p.copy_from_slice(&digit_vec(rng, 9));
        p[0] = int(rng, 4, 9) as u8;
        if let Some(c) = nhs_check_digit(&p) {
            let s = format!("{}{c}", join_digits(&p));
            return if chance(rng, 0.6) {
                format!("{} {} {}", &s[..3], &s[3..6], &s[6..])
            } else {
                s
            };
        }
    }
}

/// Canadian SIN (Luhn, first digit 1-7 or 9).
pub fn sin(rng: &mut Rng) -> String {
    let mut d = vec![pick(rng, &[1u8, 2, 3, 4, 5, 6, 7, 9])];
    d.extend(digit_vec(rng, 7));
    d.push(luhn_check_digit(&d));
    let s = join_digits(&d);
    match int(rng, 0, 2) {
        0 => format!("{} {} {}", &s[..3], &s[3..6], &s[6..]),
        1 => format!("{}-{}-{}", &s[..3], &s[3..6], &s[6..]),
        _ => s,
    }
}

/// ABA routing transit number (valid prefix and 3-7-1 checksum).
pub fn aba(rng: &mut Rng) -> String {
    let pfx = pick(
        rng,
        &[
            1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 21, 22, 26, 31, 32, 61,
            67, 72,
        ],
    );
    let mut d = [0u8; 8];
    d[0] = pfx / 10;
    d[1] = pfx % 10;
    d[2..].copy_from_slice(&digit_vec(rng, 6));
    format!("{}{}", join_digits(&d), aba_check_digit(&d))
}

/// US passport number: nine digits or a letter and eight digits. Only for
/// use right after a "passport" context.
pub fn passport(rng: &mut Rng) -> String {
    if chance(rng, 0.6) {
        format!("{}{}", int(rng, 1, 9), digits(rng, 8))
    } else {
        format!(
            "{}{}",
            pick(rng, b"ACEFGHJKLMNPRSTUVWXZ") as char,
            digits(rng, 8)
        )
    }
}

// ---------------------------------------------------------------- WALLET

pub fn wallet(rng: &mut Rng) -> String {
    match int(rng, 0, 9) {
        0..=2 => base58check(0x00, &rng::bytes(rng, 20)),
        3..=4 => base58check(0x05, &rng::bytes(rng, 20)),
        5..=6 => {
            let mut data = vec![0u8];
            data.extend(to_5bit(&rng::bytes(rng, 20)));
            bech32_encode("bc", &data)
        }
        _ => format!("0x{}", rng::hex(rng, 40)),
    }
}

// -------------------------------------------------------------- ADDRESS

const STREET_NAMES: &[&str] = &[
    "Main",
    "Oak",
    "Maple",
    "Park",
    "Church",
    "High",
    "Station",
    "Victoria",
    "Mill",
    "Elm",
    "Cedar",
    "Washington",
    "Hill",
    "Lincoln",
    "Market",
    "Queen",
    "King",
    "Bridge",
    "Green",
    "North",
    "Pine",
    "Sunset",
    "Willow",
    "Spring",
];
const US_SUFFIXES: &[&str] = &[
    "Street",
    "St",
    "Avenue",
    "Ave",
    "Road",
    "Rd",
    "Lane",
    "Drive",
    "Boulevard",
    "Blvd",
    "Court",
    "Way",
    "Place",
];
const UK_SUFFIXES: &[&str] =
    &["Street", "Road", "Lane", "Close", "Crescent", "Avenue", "Way"];
const US_CITIES: &[(&str, &str)] = &[
    ("Springfield", "IL"),
    ("Austin", "TX"),
    ("Portland", "OR"),
    ("Denver", "CO"),
    ("Columbus", "OH"),
    ("Madison", "WI"),
    ("Raleigh", "NC"),
    ("Tucson", "AZ"),
    ("Boise", "ID"),
    ("Albany", "NY"),
];
const UK_CITIES: &[&str] =
    &["London", "Leeds", "Bristol", "Manchester", "Oxford", "York"];

/// A US or UK street address or a PO box, made up.
pub fn address(rng: &mut Rng) -> String {
    let street = if chance(rng, 0.3) {
        filler::last_name_en(rng)
    } else {
        pick(rng, STREET_NAMES).to_owned()
    };
    match int(rng, 0, 9) {
        0..=5 => {
            let (city, st) = pick(rng, US_CITIES);
            let unit = if chance(rng, 0.3) {
                format!(
                    ", {} {}",
                    pick(rng, &["Apt", "Suite", "Unit"]),
                    int(rng, 1, 999)
                )
            } else {
                String::new()
            };
            let zip = if chance(rng, 0.3) {
                format!("{}-{}", digits(rng, 5), digits(rng, 4))
            } else {
                digits(rng, 5)
            };
            format!(
                "{} {street} {}{unit}, {city}, {st} {zip}",
                int(rng, 1, 9999),
                pick(rng, US_SUFFIXES)
            )
        }
        6..=8 => {
            let area_len = int(rng, 1, 2) as usize;
            let pc = format!(
                "{}{} {}{}",
                chars_from(rng, UPPER, area_len),
                int(rng, 1, 20),
                int(rng, 1, 9),
                chars_from(rng, b"ABDEFGHJLNPQRSTUWXYZ", 2)
            );
            format!(
                "{} {street} {}, {} {pc}",
                int(rng, 1, 250),
                pick(rng, UK_SUFFIXES),
                pick(rng, UK_CITIES)
            )
        }
        _ => {
            let (city, st) = pick(rng, US_CITIES);
            format!(
                "PO Box {}, {city}, {st} {}",
                int(rng, 10, 99999),
                digits(rng, 5)
            )
        }
    }
}

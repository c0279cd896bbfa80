//! Validators: checksums and plausibility checks run on a confirmed match.
//!
//! A regex says a match has the right shape; a validator says it could be
//! real: Luhn for cards, mod-97 for IBANs, allocation rules for SSNs. This
//! is where most precision comes from. Every validator is a pure function
//! of the matched bytes and never panics.

use sha2::{Digest, Sha256};

/// A named validator that a rule can ask for with `validator = "..."`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Validator {
    Luhn,
    CreditCard,
    Iban,
    Ssn,
    Itin,
    Nhs,
    Nino,
    Sin,
    Aba,
    Ipv4,
    Ipv6,
    Phone,
    PhoneShape,
    IbanChecksum,
    DateTime,
    Date,
    BtcBase58,
    Bech32,
    Eth,
    Secret,
    AwsSecret,
    HexSecret,
    Jwt,
    Email,
    Url,
    UrlCredentials,
    Passport,
}

impl Validator {
    pub(crate) const NAMES: &'static [(&'static str, Validator)] = &[
        ("luhn", Validator::Luhn),
        ("credit_card", Validator::CreditCard),
        ("iban", Validator::Iban),
        ("ssn", Validator::Ssn),
        ("itin", Validator::Itin),
        ("nhs", Validator::Nhs),
        ("nino", Validator::Nino),
        ("sin", Validator::Sin),
        ("aba", Validator::Aba),
        ("ipv4", Validator::Ipv4),
        ("ipv6", Validator::Ipv6),
        ("phone", Validator::Phone),
        ("phone_shape", Validator::PhoneShape),
        ("iban_checksum", Validator::IbanChecksum),
        ("date_time", Validator::DateTime),
        ("date", Validator::Date),
        ("btc_base58", Validator::BtcBase58),
        ("bech32", Validator::Bech32),
        ("eth", Validator::Eth),
        ("secret", Validator::Secret),
        ("aws_secret", Validator::AwsSecret),
        ("hex_secret", Validator::HexSecret),
        ("jwt", Validator::Jwt),
        ("email", Validator::Email),
        ("url", Validator::Url),
        ("url_credentials", Validator::UrlCredentials),
        ("passport", Validator::Passport),
    ];

    pub(crate) fn from_name(name: &str) -> Option<Validator> {
        Validator::NAMES.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
    }

    /// Returns true when `m` (the matched bytes) passes.
    pub(crate) fn check(self, m: &[u8]) -> bool {
        match self {
            Validator::Luhn => luhn(&digits(m)),
            Validator::CreditCard => credit_card(&digits(m)),
            Validator::Iban => iban(m),
            Validator::Ssn => ssn(&digits(m)),
            Validator::Itin => itin(&digits(m)),
            Validator::Nhs => nhs(&digits(m)),
            Validator::Nino => nino(m),
            Validator::Sin => sin(&digits(m)),
            Validator::Aba => aba(&digits(m)),
            Validator::Ipv4 => ipv4(m),
            Validator::Ipv6 => ipv6(m),
            Validator::Phone => phone(m),
            Validator::PhoneShape => phone_shape(m),
            Validator::IbanChecksum => iban_checksum(m),
            Validator::DateTime => date_time(m),
            Validator::Date => date(m),
            Validator::BtcBase58 => btc_base58(m),
            Validator::Bech32 => bech32(m),
            Validator::Eth => eth(m),
            Validator::Secret => secret_value(m),
            Validator::AwsSecret => aws_secret(m),
            Validator::HexSecret => hex_secret(m),
            Validator::Jwt => jwt(m),
            Validator::Email => email(m),
            Validator::Url => url(m),
            Validator::UrlCredentials => url_credentials(m),
            Validator::Passport => passport(&digits(m), m),
        }
    }
}

/// The ASCII digits of a match, as values 0..=9, on the stack. Matches
/// with more digits than fit are cut (no validator accepts that many).
struct Digits {
    buf: [u8; 48],
    len: usize,
}

impl core::ops::Deref for Digits {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

fn digits(m: &[u8]) -> Digits {
    let mut d = Digits { buf: [0; 48], len: 0 };
    for &b in m {
        if b.is_ascii_digit() {
            if d.len == d.buf.len() {
                // Too long for any numeric identifier: make it fail.
                d.len = 0;
                return d;
            }
            d.buf[d.len] = b - b'0';
            d.len += 1;
        }
    }
    d
}

pub(crate) fn luhn(d: &[u8]) -> bool {
    if d.len() < 2 {
        return false;
    }
    let mut sum = 0u32;
    for (i, &x) in d.iter().rev().enumerate() {
        let x = u32::from(x);
        sum += if i % 2 == 1 {
            let y = x * 2;
            if y > 9 {
                y - 9
            } else {
                y
            }
        } else {
            x
        };
    }
    sum % 10 == 0
}

fn prefix_num(d: &[u8], n: usize) -> u32 {
    d.iter().take(n).fold(0u32, |acc, &x| acc * 10 + u32::from(x))
}

/// Luhn plus issuer (IIN) ranges and the lengths each network issues.
fn credit_card(d: &[u8]) -> bool {
    let len = d.len();
    if !(12..=19).contains(&len) || !luhn(d) {
        return false;
    }
    if d.iter().all(|&x| x == d[0]) {
        return false;
    }
    // Maestro takes 12 to 19 digits (twelve only through the rule that
    // wants a card word next to them); other cards 13 or more.
    if maestro_prefix(d) {
        return true;
    }
    if len == 12 {
        return false;
    }
    let p1 = prefix_num(d, 1);
    let p2 = prefix_num(d, 2);
    let p3 = prefix_num(d, 3);
    let p4 = prefix_num(d, 4);
    let p6 = prefix_num(d, 6);
    match p1 {
        4 => matches!(len, 13 | 16 | 19),
        5 => (51..=55).contains(&p2) && len == 16,
        2 => {
            (2221..=2720).contains(&p4) && len == 16
                // JCB's old 15-digit range.
                || p4 == 2131 && len == 15
        }
        1 => p4 == 1800 && len == 15,
        3 => {
            (matches!(p2, 34 | 37) && len == 15)
                // JCB (3528-3589 assigned; 35 as generators print it).
                || (p2 == 35 && (16..=19).contains(&len))
                || ((matches!(p2, 36 | 38 | 39) || (300..=305).contains(&p3))
                    && (14..=19).contains(&len))
        }
        6 => {
            (p4 == 6011
                || p2 == 65
                || (644..=649).contains(&p3)
                || (622126..=622925).contains(&p6)
                || p2 == 62)
                && (16..=19).contains(&len)
        }
        _ => false,
    }
}

/// Maestro's issuer prefixes (12 to 19 digits).
fn maestro_prefix(d: &[u8]) -> bool {
    let p2 = prefix_num(d, 2);
    let p4 = prefix_num(d, 4);
    p2 == 50
        || (56..=58).contains(&p2)
        || matches!(p4, 6304 | 6759 | 6761..=6763)
        || prefix_num(d, 3) == 639
}

/// IBAN lengths per country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

/// An IBAN's characters without blanks and dashes, in upper case.
fn compact_iban(m: &[u8]) -> Vec<u8> {
    m.iter()
        .filter(|b| !b.is_ascii_whitespace() && **b != b'-')
        .map(|b| b.to_ascii_uppercase())
        .collect()
}

fn iban(m: &[u8]) -> bool {
    let s = compact_iban(m);
    if s.len() < 15 || !s.iter().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let cc = [s[0], s[1]];
    let Some(&(_, want)) = IBAN_LENGTHS.iter().find(|(c, _)| **c == cc) else {
        return false;
    };
    s.len() == want && iban_mod97(&s)
}

/// An IBAN of a known country whose length its registry entry does not
/// give (test-data generators get some wrong) but whose check digits
/// hold: for a rule that requires the word "IBAN" next to it.
fn iban_checksum(m: &[u8]) -> bool {
    let s = compact_iban(m);
    if !(15..=34).contains(&s.len())
        || !s.iter().all(|b| b.is_ascii_alphanumeric())
    {
        return false;
    }
    IBAN_LENGTHS.iter().any(|(c, _)| **c == [s[0], s[1]]) && iban_mod97(&s)
}

/// ISO 7064 mod 97-10 of an upper-case alphanumeric IBAN.
fn iban_mod97(s: &[u8]) -> bool {
    if !s[2].is_ascii_digit() || !s[3].is_ascii_digit() {
        return false;
    }
    // ISO 7064 mod 97-10 over the rearranged string, letters as 10..35.
    let mut rem = 0u32;
    for &b in s[4..].iter().chain(&s[..4]) {
        let v = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

fn ssn(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let area = prefix_num(d, 3);
    let group = prefix_num(&d[3..], 2);
    let serial = prefix_num(&d[5..], 4);
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return false;
    }
    // Published, never-valid examples (Woolworth's wallet card, the SSA
    // advertising number, and the textbook 123-45-6789).
    let n = prefix_num(d, 9);
    !matches!(n, 78_051_120 | 219_099_999 | 123_456_789)
}

fn itin(d: &[u8]) -> bool {
    if d.len() != 9 || d[0] != 9 {
        return false;
    }
    let group = prefix_num(&d[3..], 2);
    matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

fn nhs(d: &[u8]) -> bool {
    if d.len() != 10 || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let sum: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, &x)| u32::from(x) * (10 - i as u32))
        .sum();
    let check = 11 - (sum % 11);
    let check = if check == 11 { 0 } else { check };
    check != 10 && check == u32::from(d[9])
}

fn nino(m: &[u8]) -> bool {
    let s: Vec<u8> = m
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if s.len() != 9 {
        return false;
    }
    let (a, b) = (s[0], s[1]);
    let bad_first = b"DFIQUV";
    let bad_second = b"DFIQUVO";
    if bad_first.contains(&a) || bad_second.contains(&b) {
        return false;
    }
    let pair = [a, b];
    let banned: [&[u8; 2]; 7] =
        [b"BG", b"GB", b"NK", b"KN", b"TN", b"NT", b"ZZ"];
    if banned.iter().any(|p| **p == pair) {
        return false;
    }
    s[2..8].iter().all(u8::is_ascii_digit) && (b'A'..=b'D').contains(&s[8])
}

fn sin(d: &[u8]) -> bool {
    d.len() == 9 && d[0] != 0 && d[0] != 8 && luhn(d)
}

fn aba(d: &[u8]) -> bool {
    if d.len() != 9 || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let p2 = prefix_num(d, 2);
    if !matches!(p2, 0..=12 | 21..=32 | 61..=72 | 80) {
        return false;
    }
    let w = [3u32, 7, 1];
    let sum: u32 =
        d.iter().enumerate().map(|(i, &x)| u32::from(x) * w[i % 3]).sum();
    sum % 10 == 0
}

fn ipv4(m: &[u8]) -> bool {
    let mut parts = 0;
    for part in m.split(|&b| b == b'.') {
        parts += 1;
        if part.is_empty()
            || part.len() > 3
            || !part.iter().all(u8::is_ascii_digit)
            || (part.len() > 1 && part[0] == b'0')
        {
            return false;
        }
        if prefix_num(&digits(part), 3) > 255 {
            return false;
        }
    }
    parts == 4
}

fn ipv6(m: &[u8]) -> bool {
    let Ok(s) = core::str::from_utf8(m) else { return false };
    if s.parse::<std::net::Ipv6Addr>().is_err() {
        return false;
    }
    // Tiny compressed forms ("::1", "a::b") are too ambiguous in text
    // (and loopback is not personal data).
    let hex = s.bytes().filter(u8::is_ascii_hexdigit).count();
    hex >= 4 && s.bytes().any(|b| b.is_ascii_digit())
}

/// Plausibility for a phone number: digit count and national prefixes.
fn phone(m: &[u8]) -> bool {
    let main = without_extension(m);
    let d = digits(main);
    if !(7..=15).contains(&d.len()) || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    // `00` is the international call prefix outside North America:
    // `001-704-...` is `+1 704 ...`.
    let intl_prefix = main.starts_with(b"00") && d.len() > 2;
    let plus = main.first() == Some(&b'+') || intl_prefix;
    let d = if intl_prefix { &d[2..] } else { &d[..] };
    if plus {
        // E.164: country code must not start with 0; NANP numbers under
        // +1 must have a valid area code and exchange.
        if d[0] == 0 || d.len() < 8 {
            return false;
        }
        if d[0] == 1 {
            return d.len() == 11 && nanp(&d[1..]);
        }
        return true;
    }
    if d[0] == 0 {
        // National trunk prefix (UK, DE, FR, AU, IN, ...): 0 then a
        // non-zero digit, 10..=12 digits in all; 9 (New Zealand, small
        // German and Austrian towns) only with the area code in
        // parentheses, `(09) 472 8022`.
        let min = if main.first() == Some(&b'(') { 9 } else { 10 };
        return d.len() >= min && d.len() <= 12 && d[1] != 0;
    }
    match d.len() {
        10 => nanp(d),
        11 => d[0] == 1 && nanp(&d[1..]),
        // Local seven-digit numbers only with a visible separator.
        7 => d[0] >= 2 && main.iter().any(|b| matches!(b, b'-' | b'.')),
        _ => false,
    }
}

/// A phone number's shape without its numbering plan: seven or eight
/// digits in two groups (a local number), nine to eleven digits in one
/// run (mobiles without separators), ten digits (any area code and
/// exchange), eleven with a leading 1, thirteen with `001`, or nine
/// with a trunk 0 (New Zealand). For rules that require
/// a phone word, where made-up and mistyped numbers still are phone
/// numbers.
fn phone_shape(m: &[u8]) -> bool {
    let main = without_extension(m);
    let d = digits(main);
    if d.is_empty() || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let plain = main.iter().all(u8::is_ascii_digit);
    match d.len() {
        // Local numbers ("951 6993", "1421-7743"), separated, but not
        // a range of years ("1999-2003").
        7 => !plain,
        8 => {
            let (a, b) = (prefix_num(&d, 4), prefix_num(&d[4..], 4));
            let years =
                (1900..=2099).contains(&a) && (1900..=2099).contains(&b);
            !plain && !years && d[..4] != d[4..]
        }
        9 => d[0] == 0 && d[1] != 0 || plain && d[0] != 0,
        10 => d[0] != 0 || plain,
        11 => d[0] == 1 || plain,
        13 => d.starts_with(&[0, 0, 1]),
        _ => false,
    }
}

/// A phone match less its extension (`ext. 12`, `x460`), if any.
fn without_extension(m: &[u8]) -> &[u8] {
    find_extension(m).map_or(m, |i| &m[..i])
}

/// Where an extension marker (`ext`, `x`, `#`) starts, if any. Phone
/// patterns only allow these letters there, so the first `e`/`x`/`#` is
/// the marker.
fn find_extension(m: &[u8]) -> Option<usize> {
    m.iter()
        .position(|&b| matches!(b.to_ascii_lowercase(), b'e' | b'x' | b'#'))
}

/// NANP shape: area code and exchange both start with 2-9. (N11 codes
/// are not assigned, but text in the wild and test data use them, and a
/// missed phone costs more than a flagged one.)
fn nanp(d: &[u8]) -> bool {
    d.len() == 10 && d[0] >= 2 && d[3] >= 2
}

const MONTHS: &[&[u8]] = &[
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep",
    b"oct", b"nov", b"dec",
];

fn days_in_month(month: u32, year: Option<u32>) -> u32 {
    match month {
        2 => match year {
            Some(y) if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
            Some(_) => 28,
            None => 29,
        },
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn valid_ymd(y: Option<u32>, m: u32, d: u32) -> bool {
    if let Some(y) = y {
        if !(1900..=2099).contains(&y) {
            return false;
        }
    }
    (1..=12).contains(&m) && d >= 1 && d <= days_in_month(m, y)
}

/// A numeric date followed by a time of day (the rule's pattern checks
/// the time): the date, up to the first blank or comma, must be one.
fn date_time(m: &[u8]) -> bool {
    let end =
        m.iter().position(|&b| b == b' ' || b == b',').unwrap_or(m.len());
    date(&m[..end])
}

/// A calendar date: numeric (Y-M-D, M/D/Y, D/M/Y, D.M.Y) or written.
fn date(m: &[u8]) -> bool {
    let mut nums_buf = [(0u32, 0usize); 3];
    let mut n_nums = 0;
    let mut month_name: Option<u32> = None;
    let mut i = 0;
    while i < m.len() {
        if m[i].is_ascii_digit() {
            let st = i;
            let mut v = 0u32;
            while i < m.len() && m[i].is_ascii_digit() {
                v = v
                    .saturating_mul(10)
                    .saturating_add(u32::from(m[i] - b'0'));
                i += 1;
            }
            if n_nums == nums_buf.len() {
                return false;
            }
            nums_buf[n_nums] = (v, i - st);
            n_nums += 1;
        } else if m[i].is_ascii_alphabetic() {
            let st = i;
            while i < m.len() && m[i].is_ascii_alphabetic() {
                i += 1;
            }
            let w = &m[st..i];
            if w.len() >= 3 {
                if let Some(pos) = MONTHS.iter().position(|mo| {
                    w.len() >= mo.len()
                        && w[..mo.len()].eq_ignore_ascii_case(mo)
                }) {
                    month_name = Some(pos as u32 + 1);
                }
            }
        } else {
            i += 1;
        }
    }
    let year_of = |(v, len): (u32, usize)| -> Option<Option<u32>> {
        match len {
            4 => Some(Some(v)),
            2 => Some(None),
            _ => None,
        }
    };
    let nums = &nums_buf[..n_nums];
    if let Some(mo) = month_name {
        // "March 14, 1987" / "14 March 1987": a day and a 4-digit year;
        // "March 14" / "14 March": a day of that month (any year);
        // "March 1987": a year in range.
        return match nums {
            [(d, dl), (y, 4)] | [(y, 4), (d, dl)] if *dl <= 2 => {
                valid_ymd(Some(*y), mo, *d)
            }
            [(d, dl)] if *dl <= 2 => valid_ymd(None, mo, *d),
            [(y, 4)] => (1900..=2099).contains(y),
            _ => false,
        };
    }
    match nums {
        [(y, 4), (mo, ml), (d, dl)] if *ml <= 2 && *dl <= 2 => {
            valid_ymd(Some(*y), *mo, *d)
        }
        [(a, al), (b, bl), y] if *al <= 2 && *bl <= 2 => {
            let Some(year) = year_of(*y) else { return false };
            valid_ymd(year, *a, *b) || valid_ymd(year, *b, *a)
        }
        _ => false,
    }
}

const BASE58: &[u8] =
    b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn base58_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    for &c in s {
        let mut carry = BASE58.iter().position(|&x| x == c)? as u32;
        for b in out.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            out.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = s.iter().take_while(|&&c| c == b'1').count();
    let mut full = vec![0u8; zeros];
    full.extend(out);
    Some(full)
}

fn btc_base58(m: &[u8]) -> bool {
    let Some(raw) = base58_decode(m) else { return false };
    if raw.len() != 25 || !matches!(raw[0], 0x00 | 0x05) {
        return false;
    }
    let h1 = Sha256::digest(&raw[..21]);
    let h2 = Sha256::digest(h1);
    h2[..4] == raw[21..]
}

fn bech32(m: &[u8]) -> bool {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let s: Vec<u8> = m.iter().map(u8::to_ascii_lowercase).collect();
    let has_upper = m.iter().any(u8::is_ascii_uppercase);
    let has_lower = m.iter().any(u8::is_ascii_lowercase);
    if has_upper && has_lower {
        return false;
    }
    let Some(sep) = s.iter().rposition(|&b| b == b'1') else { return false };
    let (hrp, data) = (&s[..sep], &s[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let mut values = Vec::with_capacity(data.len());
    for &c in data {
        let Some(v) = CHARSET.iter().position(|&x| x == c) else {
            return false;
        };
        values.push(v as u32);
    }
    let mut chk: u32 = 1;
    let gen =
        [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3];
    let mut feed = |v: u32| {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ v;
        for (i, g) in gen.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    };
    for &c in hrp {
        feed(u32::from(c) >> 5);
    }
    feed(0);
    for &c in hrp {
        feed(u32::from(c) & 31);
    }
    for v in values {
        feed(v);
    }
    // bech32 (BIP-173) or bech32m (BIP-350).
    chk == 1 || chk == 0x2bc8_30a3
}

fn eth(m: &[u8]) -> bool {
    m.len() == 42
        && m[2..].iter().all(u8::is_ascii_hexdigit)
        && !m[2..].iter().all(|&b| b == b'0')
        && distinct(&m[2..]) >= 6
}

fn distinct(m: &[u8]) -> usize {
    let mut seen = [false; 256];
    let mut n = 0;
    for &b in m {
        if !seen[usize::from(b)] {
            seen[usize::from(b)] = true;
            n += 1;
        }
    }
    n
}

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(m: &[u8]) -> f64 {
    if m.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in m {
        counts[usize::from(b)] += 1;
    }
    let n = m.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// How many of lower case, upper case and digits occur in `m`.
fn classes(m: &[u8]) -> usize {
    let lower = m.iter().any(u8::is_ascii_lowercase) as usize;
    let upper = m.iter().any(u8::is_ascii_uppercase) as usize;
    let digit = m.iter().any(u8::is_ascii_digit) as usize;
    lower + upper + digit
}

/// Markers that make a value a placeholder wherever they occur in it.
const PLACEHOLDERS: &[&[u8]] = &[
    b"changeme",
    b"example",
    b"redacted",
    b"xxxx",
    b"****",
    b"your_",
    b"your-",
    b"<",
    b"${",
    b"{{",
    b"placeholder",
];

/// Words that are placeholders only as the whole value: a random token
/// may well contain `null` or `true`, and a real password may contain
/// `password`.
const PLACEHOLDER_VALUES: &[&[u8]] = &[
    b"password",
    b"secret",
    b"null",
    b"none",
    b"nil",
    b"true",
    b"false",
    b"undefined",
    b"changeme",
    b"todo",
    b"tbd",
];

fn is_placeholder(m: &[u8]) -> bool {
    static MATCHER: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    let matcher = MATCHER.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(PLACEHOLDERS)
            .ok()
    });
    let listed = match matcher {
        Some(ac) => ac.is_match(m),
        // Unreachable with the fixed list above; fall back to a scan.
        None => PLACEHOLDERS
            .iter()
            .any(|p| m.windows(p.len()).any(|w| w.eq_ignore_ascii_case(p))),
    };
    listed
        || PLACEHOLDER_VALUES.iter().any(|p| m.eq_ignore_ascii_case(p))
        || distinct(m) <= 2
}

/// A value assigned to a `password`/`api_key`/`secret` key: long
/// enough, mixed, not a placeholder, not an identifier-looking word.
fn secret_value(m: &[u8]) -> bool {
    m.len() >= 6
        && !is_placeholder(m)
        && classes(m) >= 2
        && entropy(m) >= 2.3
        && !m.iter().all(|b| b.is_ascii_digit())
        && !title_word(m)
}

/// A capitalised word of letters only (`Backport`, `Required`): prose
/// after a `credentials:` label, not a generated secret.
fn title_word(m: &[u8]) -> bool {
    m.first().is_some_and(u8::is_ascii_uppercase)
        && m[1..].iter().all(u8::is_ascii_lowercase)
}

fn aws_secret(m: &[u8]) -> bool {
    m.len() == 40 && classes(m) >= 3 && entropy(m) >= 4.0
}

fn hex_secret(m: &[u8]) -> bool {
    let body = m.get(2..).unwrap_or(&[]);
    body.len() == 32
        && body.iter().all(u8::is_ascii_hexdigit)
        && entropy(body) >= 3.0
}

fn b64url_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn jwt(m: &[u8]) -> bool {
    let mut parts = m.split(|&b| b == b'.');
    let (Some(h), Some(p)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Some(header) = b64url_decode(h) else { return false };
    let Some(payload) = b64url_decode(p) else { return false };
    header.first() == Some(&b'{')
        && memchr::memmem::find(&header, b"\"alg\"").is_some()
        && payload.first() == Some(&b'{')
}

/// Domains reserved for documentation (RFC 2606 / RFC 6761).
fn is_reserved_domain(host: &[u8]) -> bool {
    let ends = |suffix: &[u8]| {
        host.len() >= suffix.len()
            && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
            && (host.len() == suffix.len()
                || host[host.len() - suffix.len() - 1] == b'.')
    };
    ends(b"example.com")
        || ends(b"example.org")
        || ends(b"example.net")
        || ends(b"example")
        || ends(b"test")
        || ends(b"invalid")
        || ends(b"localhost")
}

fn valid_host(host: &[u8]) -> bool {
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in host.split(|&b| b == b'.') {
        if label.is_empty() || label.len() > 63 {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2
        && last.len() >= 2
        && last.iter().all(|&b| b.is_ascii_alphabetic() || b >= 0x80)
}

fn email(m: &[u8]) -> bool {
    let Some(at) = memchr::memrchr(b'@', m) else { return false };
    let (local, domain) = (&m[..at], &m[at + 1..]);
    // Non-ASCII in the local part must be letters or digits (EAI), not
    // curly quotes or dashes that happen to precede the address.
    let local_ok = core::str::from_utf8(local)
        .is_ok_and(|t| t.chars().all(|c| c.is_ascii() || c.is_alphanumeric()));
    local_ok
        && !local.is_empty()
        && local.len() <= 64
        && local[0] != b'.'
        && local[local.len() - 1] != b'.'
        && memchr::memmem::find(local, b"..").is_none()
        && valid_host(domain)
        && !(is_reserved_domain(domain) && generic_local_part(local))
}

/// Words that make up the local part of a placeholder address at a
/// reserved domain (`user@example.com`, `john.doe@example.org`,
/// `no-reply@example.net`). A local part that reads like a person's
/// handle (`xglenn@example.com`, `aurelio.weissnat@example.org`) is not a
/// placeholder: synthetic and anonymised data put realistic addresses on
/// reserved domains, and redacting a placeholder costs nothing.
const GENERIC_LOCAL_WORDS: &[&[u8]] = &[
    b"abuse",
    b"account",
    b"accounts",
    b"admin",
    b"administrator",
    b"alice",
    b"anyone",
    b"billing",
    b"bob",
    b"carol",
    b"contact",
    b"dave",
    b"demo",
    b"dev",
    b"doe",
    b"email",
    b"eve",
    b"example",
    b"first",
    b"firstname",
    b"foo",
    b"bar",
    b"baz",
    b"hello",
    b"help",
    b"hostmaster",
    b"info",
    b"jdoe",
    b"last",
    b"lastname",
    b"mail",
    b"mallory",
    b"me",
    b"my",
    b"name",
    b"news",
    b"newsletter",
    b"no",
    b"noreply",
    b"notifications",
    b"postmaster",
    b"qux",
    b"reply",
    b"root",
    b"sales",
    b"sample",
    b"security",
    b"somebody",
    b"someone",
    b"support",
    b"surname",
    b"team",
    b"test",
    b"tester",
    b"user",
    b"username",
    b"webmaster",
    b"you",
    b"your",
    b"yourname",
];

/// Whether `local` is made of [`GENERIC_LOCAL_WORDS`] joined by `.`, `_`,
/// `-` or `+`, each word possibly followed by digits (`user23`), or is
/// John or Jane Doe (`john64` is a person's handle).
fn generic_local_part(local: &[u8]) -> bool {
    let mut joined = [0u8; 16];
    let mut n = 0;
    for &b in local.iter().filter(|b| !matches!(b, b'.' | b'_' | b'-')) {
        if n == joined.len() {
            n = 0;
            break;
        }
        joined[n] = b.to_ascii_lowercase();
        n += 1;
    }
    if matches!(&joined[..n], b"johndoe" | b"janedoe") {
        return true;
    }
    local.split(|&b| matches!(b, b'.' | b'_' | b'-' | b'+')).all(|w| {
        let letters = w.iter().take_while(|b| !b.is_ascii_digit()).count();
        let (word, digits) = w.split_at(letters);
        !word.is_empty()
            && digits.iter().all(u8::is_ascii_digit)
            && GENERIC_LOCAL_WORDS.iter().any(|g| word.eq_ignore_ascii_case(g))
    })
}

fn url_host(m: &[u8]) -> &[u8] {
    let rest = match memchr::memmem::find(m, b"://") {
        Some(i) => &m[i + 3..],
        None => m,
    };
    let end = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#' | b':'))
        .unwrap_or(rest.len());
    let host = &rest[..end];
    match memchr::memrchr(b'@', host) {
        Some(i) => &host[i + 1..],
        None => host,
    }
}

fn url(m: &[u8]) -> bool {
    let host = url_host(m);
    (valid_host(host) || ipv4(host) || host == b"localhost")
        && !is_reserved_domain(host)
}

/// `scheme://user:password@host`: the password is present and real.
fn url_credentials(m: &[u8]) -> bool {
    let Some(i) = memchr::memmem::find(m, b"://") else { return false };
    let rest = &m[i + 3..];
    let Some(at) = memchr::memrchr(b'@', rest) else { return false };
    let userinfo = &rest[..at];
    let Some(colon) = memchr::memchr(b':', userinfo) else { return false };
    let password = &userinfo[colon + 1..];
    !password.is_empty()
        && !is_placeholder(password)
        && distinct(password) >= 3
}

fn passport(d: &[u8], m: &[u8]) -> bool {
    (d.len() == 9 || (d.len() == 8 && m[0].is_ascii_alphabetic()))
        && distinct(d) >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_addresses_only_at_reserved_domains() {
        for placeholder in [
            "user@example.com",
            "user23@mail.example.com",
            "john.doe@example.org",
            "Jane_Doe@example.net",
            "no-reply@example.com",
            "your.name@example.com",
            "firstname.lastname@example.org",
        ] {
            assert!(!email(placeholder.as_bytes()), "{placeholder}");
        }
        for address in [
            "xglenn@example.com",
            "john64@example.com",
            "aurelio.weissnat@example.org",
            "user@acme.io",
            "john.doe@acme.io",
        ] {
            assert!(email(address.as_bytes()), "{address}");
        }
    }

    #[test]
    fn checksums() {
        assert!(luhn(&digits(b"4111111111111111")));
        assert!(!luhn(&digits(b"4111111111111112")));
        assert!(credit_card(&digits(b"4111 1111 1111 1111")));
        assert!(!credit_card(&digits(b"1111 1111 1111 1117")));
        assert!(credit_card(&digits(b"4539 1488 0343 6467")));
        assert!(iban(b"DE89 3704 0044 0532 0130 00"));
        assert!(iban(b"GB82WEST12345698765432"));
        assert!(!iban(b"GB82WEST12345698765433"));
        assert!(ssn(&digits(b"536-22-1234")));
        assert!(!ssn(&digits(b"666-22-1234")));
        assert!(!ssn(&digits(b"078-05-1120")));
        assert!(nhs(&digits(b"943 476 5919")));
        assert!(!nhs(&digits(b"943 476 5918")));
        assert!(nino(b"AB 12 34 56 C"));
        assert!(!nino(b"BG 12 34 56 C"));
        assert!(sin(&digits(b"130 692 544")));
        assert!(!sin(&digits(b"046 454 286")));
        assert!(aba(&digits(b"021000021")));
        assert!(!aba(&digits(b"021000022")));
        assert!(btc_base58(b"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));
        assert!(!btc_base58(b"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"));
        assert!(bech32(b"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
        assert!(!bech32(b"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
        assert!(date(b"March 14, 1987"));
        assert!(!date(b"1987-02-29"));
        assert!(date(b"29/02/1988"));
        assert!(date(b"Feb 29th") && date(b"the 5th of January"));
        assert!(!date(b"Feb 30") && !date(b"32 March"));
        assert!(date(b"December 2020") && !date(b"December 2120"));
        assert!(jwt(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"));
    }

    #[test]
    fn phones() {
        assert!(phone(b"(415) 555-0132"));
        assert!(phone(b"+44 20 7946 0958"));
        assert!(phone(b"020 7946 0958"));
        assert!(!phone(b"1701234567"));
        assert!(!phone(b"000 000 0000"));
        assert!(phone(b"415-555-0132 ext. 12"));
        assert!(phone(b"001-704-473-6457x849"));
        assert!(phone(b"(09) 472 8022"));
        assert!(!phone(b"09 472 8022"));
        assert!(!phone(b"(346) 048-0591"));
    }

    #[test]
    fn phone_shapes() {
        assert!(phone_shape(b"(346) 048-0591 x460"));
        assert!(phone_shape(b"1421-7743"));
        assert!(phone_shape(b"375687789"));
        assert!(!phone_shape(b"1999-2003"));
        assert!(!phone_shape(b"1234-1234"));
        assert!(!phone_shape(b"5555555"));
        assert!(!phone_shape(b"1234567"));
    }

    #[test]
    fn cards_and_ibans_generators_print() {
        let card = |s: &str| credit_card(&digits(s.as_bytes()));
        assert!(card("568082940616"));
        assert!(card("3507540091714524"));
        assert!(card("213168731690192"));
        assert!(!card("412345678903"));
        assert!(!card("568082940617"));
        assert!(iban_checksum(b"GB31SGQH4701746814538"));
        assert!(!iban(b"GB31SGQH4701746814538"));
        assert!(!iban_checksum(b"GB31SGQH4701746814539"));
        assert!(!iban_checksum(b"PH978096792908100339"));
    }
}

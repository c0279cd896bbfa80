//! Unlabelled context: names, companies, places and words (from `fake`),
//! ordinary non-PII numbers (years, counts, prices, times), and the
//! documented unlabelled look-alikes (UUIDs, hashes, versions, timestamps,
//! base64 blobs). Nothing here may look like a labelled kind.

use fake::faker::address::en::CityName;
use fake::faker::company::en::{
    Bs, BsNoun, CatchPhrase, CompanyName, Industry, Profession,
};
use fake::faker::name::{de_de, en, fr_fr, it_it, ja_jp, zh_cn};
use fake::Fake;

use super::checksum::base64;
use super::rng::{self, chance, int, pick, Rng};

/// Hand-written names that exercise non-ASCII offsets (accents, CJK).
const INTL_NAMES: &[&str] = &[
    "José Müller",
    "Zoë Brontë",
    "François Lefèvre",
    "Łukasz Wiśniewski",
    "Søren Kjærgaard",
    "Nguyễn Văn An",
    "Siobhán Ó Briain",
    "Chloé Dubois",
    "Björn Ångström",
    "Ayşe Yılmaz",
    "Dvořák Jiří",
    "Renée Côté",
    "王伟",
    "李娜",
    "佐藤 花子",
    "김민준",
    "Zoë",
    "Inés Peña",
];

pub fn first_name_en(rng: &mut Rng) -> String {
    en::FirstName().fake_with_rng(rng)
}

pub fn last_name_en(rng: &mut Rng) -> String {
    en::LastName().fake_with_rng(rng)
}

/// A person: first and last name plus how the name is displayed.
#[derive(Clone, Debug, Default)]
pub struct Person {
    pub first: String,
    pub last: String,
    pub display: String,
}

impl Person {
    fn western(first: String, last: String) -> Self {
        let display = format!("{first} {last}");
        Person { first, last, display }
    }
}

/// A person from a mix of locales, some with non-ASCII names.
pub fn person(rng: &mut Rng) -> Person {
    match int(rng, 0, 39) {
        0..=25 => Person::western(first_name_en(rng), last_name_en(rng)),
        26..=29 => Person::western(
            de_de::FirstName().fake_with_rng(rng),
            de_de::LastName().fake_with_rng(rng),
        ),
        30..=32 => Person::western(
            fr_fr::FirstName().fake_with_rng(rng),
            fr_fr::LastName().fake_with_rng(rng),
        ),
        33 => Person::western(
            it_it::FirstName().fake_with_rng(rng),
            it_it::LastName().fake_with_rng(rng),
        ),
        34 => {
            let last: String = zh_cn::LastName().fake_with_rng(rng);
            let first: String = zh_cn::FirstName().fake_with_rng(rng);
            let display = format!("{last}{first}");
            Person { first, last, display }
        }
        35 => {
            let last: String = ja_jp::LastName().fake_with_rng(rng);
            let first: String = ja_jp::FirstName().fake_with_rng(rng);
            let display = format!("{last} {first}");
            Person { first, last, display }
        }
        _ => {
            let display = (pick(rng, INTL_NAMES)).to_owned();
            let mut it = display.splitn(2, ' ');
            let first = it.next().unwrap_or_default().to_owned();
            let last = it.next().unwrap_or_default().to_owned();
            Person { first, last, display }
        }
    }
}

pub fn company(rng: &mut Rng) -> String {
    if chance(rng, 0.6) {
        CompanyName().fake_with_rng(rng)
    } else {
        let w = brand_word(rng);
        let mut c = w[..1].to_uppercase();
        c.push_str(&w[1..]);
        format!(
            "{c} {}",
            pick(
                rng,
                &[
                    "Inc.", "Ltd", "GmbH", "LLC", "Group", "Labs", "AG",
                    "SAS", "Partners"
                ]
            )
        )
    }
}

/// Real places (world cities of all sizes, some of them also words or
/// names), for LOCATION spans.
const CITIES: &[&str] = &[
    "London",
    "Berlin",
    "München",
    "Zürich",
    "Paris",
    "Montréal",
    "São Paulo",
    "Kraków",
    "Tokyo",
    "Toronto",
    "Sydney",
    "Austin",
    "Dublin",
    "Malmö",
    "Seattle",
    "Chicago",
    "Boston",
    "Denver",
    "Madrid",
    "Lisbon",
    "Vienna",
    "Prague",
    "Warsaw",
    "Oslo",
    "Helsinki",
    "Nairobi",
    "Lagos",
    "Mumbai",
    "Bangalore",
    "Singapore",
    "Melbourne",
    "Auckland",
    "Vancouver",
    "Manchester",
    "Edinburgh",
    "Glasgow",
    "Leeds",
    "Bristol",
    "Rotterdam",
    "Antwerp",
    "Lyon",
    "Marseille",
    "Hamburg",
    "Cologne",
    "Milan",
    "Naples",
    "Barcelona",
    "Seville",
    "Istanbul",
    "Cairo",
    "Johannesburg",
    "Buenos Aires",
    "Mexico City",
    "Los Angeles",
    "San Francisco",
    "New York",
    "Philadelphia",
    "Phoenix",
    "Atlanta",
    "Miami",
    "Houston",
    "Dallas",
    "Pittsburgh",
    "Cincinnati",
    "Portland",
    "Reading",
    "Bath",
    "Nice",
    "Jackson",
    "Florence",
];

pub fn city(rng: &mut Rng) -> String {
    if chance(rng, 0.35) {
        // fake 4.4 prints suffixed cities as "Quentin bury": join the
        // lower-case suffix to its stem.
        let raw: String = CityName().fake_with_rng(rng);
        let mut out = String::new();
        for w in raw.split_whitespace() {
            if !out.is_empty() && !w.starts_with(char::is_lowercase) {
                out.push(' ');
            }
            out.push_str(w);
        }
        out
    } else {
        pick(rng, CITIES).to_owned()
    }
}

pub fn bs(rng: &mut Rng) -> String {
    Bs().fake_with_rng(rng)
}

pub fn catch_phrase(rng: &mut Rng) -> String {
    CatchPhrase().fake_with_rng(rng)
}

pub fn profession(rng: &mut Rng) -> String {
    let p: String = Profession().fake_with_rng(rng);
    p.to_lowercase()
}

pub fn industry(rng: &mut Rng) -> String {
    let p: String = Industry().fake_with_rng(rng);
    p.to_lowercase()
}

pub fn bs_noun(rng: &mut Rng) -> String {
    BsNoun().fake_with_rng(rng)
}

const BRAND: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbrella",
    "northwind",
    "vandelay",
    "hooli",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "soylent",
    "aperture",
    "wonka",
    "dunder",
    "pied",
    "zenith",
    "nimbus",
    "orbit",
    "lumen",
    "quill",
    "harbor",
    "maple",
    "cobalt",
    "ember",
    "falcon",
    "juniper",
    "kestrel",
    "meridian",
    "onyx",
    "pioneer",
    "redwood",
    "sequoia",
    "tundra",
    "vertex",
    "willow",
    "atlas",
    "beacon",
    "cascade",
    "delta",
    "fjord",
    "granite",
    "helix",
];

pub fn brand_word(rng: &mut Rng) -> String {
    if chance(rng, 0.7) {
        (pick(rng, BRAND)).to_owned()
    } else {
        last_name_en(rng)
    }
}

pub const NOUNS: &[&str] = &[
    "budget",
    "roadmap",
    "report",
    "meeting",
    "project",
    "team",
    "office",
    "contract",
    "proposal",
    "strategy",
    "warehouse",
    "platform",
    "survey",
    "campaign",
    "workshop",
    "audit",
    "policy",
    "schedule",
    "release",
    "customer base",
    "supply chain",
    "pilot",
    "forecast",
    "committee",
    "partnership",
    "migration",
    "newsletter",
    "training",
    "launch",
    "review",
];
pub const ADJS: &[&str] = &[
    "quarterly",
    "annual",
    "regional",
    "new",
    "revised",
    "internal",
    "final",
    "preliminary",
    "global",
    "local",
    "ambitious",
    "modest",
    "detailed",
    "updated",
    "independent",
    "long-term",
    "short-term",
    "cross-functional",
];
pub const VERBS: &[&str] = &[
    "approved",
    "postponed",
    "announced",
    "reviewed",
    "expanded",
    "cancelled",
    "finalised",
    "discussed",
    "launched",
    "restructured",
    "presented",
    "evaluated",
    "completed",
    "delayed",
    "funded",
    "outlined",
];

pub fn noun(rng: &mut Rng) -> &'static str {
    pick(rng, NOUNS)
}

pub fn adj(rng: &mut Rng) -> &'static str {
    pick(rng, ADJS)
}

/// An adjective with its indefinite article ("a global", "an updated").
pub fn a_adj(rng: &mut Rng) -> String {
    let a = adj(rng);
    let art =
        if a.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{art} {a}")
}

pub fn verb(rng: &mut Rng) -> &'static str {
    pick(rng, VERBS)
}

const SEGMENTS: &[&str] = &[
    "about",
    "blog",
    "docs",
    "careers",
    "pricing",
    "help",
    "support",
    "products",
    "news",
    "events",
    "guides",
    "api",
    "status",
    "team",
    "contact",
    "downloads",
    "press",
    "faq",
    "security",
    "community",
];

pub fn url_segment(rng: &mut Rng) -> String {
    match int(rng, 0, 3) {
        0 | 1 => (pick(rng, SEGMENTS)).to_owned(),
        2 => format!(
            "{}-{}",
            pick(rng, ADJS).replace(' ', "-"),
            pick(rng, NOUNS).replace(' ', "-")
        ),
        _ => format!("{}{}", pick(rng, SEGMENTS), int(rng, 1, 99)),
    }
}

// ------------------------------------------------ ordinary numbers

pub fn year(rng: &mut Rng) -> String {
    int(rng, 1990, 2025).to_string()
}

/// Thousands separators, e.g. 1,200.
pub fn commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn count(rng: &mut Rng) -> String {
    match int(rng, 0, 2) {
        0 => int(rng, 2, 99).to_string(),
        1 => commas(int(rng, 100, 9_999)),
        _ => commas(int(rng, 10, 500) * 100),
    }
}

pub fn pct(rng: &mut Rng) -> String {
    if chance(rng, 0.7) {
        format!("{}%", int(rng, 1, 99))
    } else {
        format!("{}.{}%", int(rng, 0, 60), int(rng, 1, 9))
    }
}

pub fn price(rng: &mut Rng) -> String {
    let cur = pick(rng, &["$", "$", "€", "£"]);
    match int(rng, 0, 2) {
        0 => format!("{cur}{}", int(rng, 5, 999)),
        1 => format!("{cur}{}.{:02}", int(rng, 1, 999), int(rng, 0, 99)),
        _ => format!(
            "{cur}{}.{:02}",
            commas(int(rng, 1_000, 99_999)),
            int(rng, 0, 99)
        ),
    }
}

pub fn section(rng: &mut Rng) -> String {
    if chance(rng, 0.7) {
        format!("{}.{}", int(rng, 1, 12), int(rng, 1, 9))
    } else {
        int(rng, 1, 30).to_string()
    }
}

pub fn clock(rng: &mut Rng) -> String {
    if chance(rng, 0.6) {
        format!("{}:{:02}", int(rng, 7, 18), 5 * int(rng, 0, 11))
    } else {
        format!(
            "{}:{:02} {}",
            int(rng, 1, 12),
            15 * int(rng, 0, 3),
            pick(rng, &["am", "pm"])
        )
    }
}

pub fn weekday(rng: &mut Rng) -> &'static str {
    pick(
        rng,
        &[
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
    )
}

pub fn month(rng: &mut Rng) -> &'static str {
    pick(rng, &super::values::MONTHS)
}

// ------------------------------------------------ unlabelled look-alikes

pub fn uuid(rng: &mut Rng) -> String {
    let h = rng::hex(rng, 32);
    let variant = pick(rng, &['8', '9', 'a', 'b']);
    format!(
        "{}-{}-4{}-{variant}{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..]
    )
}

pub fn sha40(rng: &mut Rng) -> String {
    rng::hex(rng, 40)
}

pub fn sha7(rng: &mut Rng) -> String {
    rng::hex(rng, 7)
}

pub fn sha256(rng: &mut Rng) -> String {
    rng::hex(rng, 64)
}

pub fn semver(rng: &mut Rng) -> String {
    let v =
        format!("{}.{}.{}", int(rng, 0, 9), int(rng, 0, 30), int(rng, 0, 40));
    if chance(rng, 0.3) {
        format!("v{v}")
    } else {
        v
    }
}

/// ISO-8601 / log timestamp (never a labelled DATE: always with a time).
pub fn timestamp(rng: &mut Rng) -> String {
    let (y, mo, d) = (int(rng, 2021, 2025), int(rng, 1, 12), int(rng, 1, 28));
    let (h, mi, s) = (int(rng, 0, 23), int(rng, 0, 59), int(rng, 0, 59));
    match int(rng, 0, 3) {
        0 => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
        1 => format!(
            "{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
            int(rng, 0, 999)
        ),
        2 => format!(
            "{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02},{:03}",
            int(rng, 0, 999)
        ),
        _ => format!(
            "{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+0{}:00",
            int(rng, 0, 2)
        ),
    }
}

pub fn epoch(rng: &mut Rng) -> String {
    let s = int(rng, 1_500_000_000, 1_790_000_000);
    if chance(rng, 0.5) {
        s.to_string()
    } else {
        format!("{s}{:03}", int(rng, 0, 999))
    }
}

/// Substrings that would make a random blob look like a provider token.
const TOKEN_MARKERS: &[&str] =
    &["AKIA", "ASIA", "AIza", "eyJ", "0x", "bc1", "xox"];

pub fn is_clean(s: &str) -> bool {
    !TOKEN_MARKERS.iter().any(|m| s.contains(m))
}

/// Standard base64 of `n` random bytes, free of token-like substrings.
pub fn base64_blob(rng: &mut Rng, n: usize) -> String {
    loop {
        let b = base64(&rng::bytes(rng, n));
        if is_clean(&b) {
            return b;
        }
    }
}

/// A `data:image/png;base64,...` URI with a real PNG signature.
pub fn data_uri(rng: &mut Rng) -> String {
    loop {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        let n = int(rng, 150, 400) as usize;
        bytes.extend(rng::bytes(rng, n));
        let b = base64(&bytes);
        if is_clean(&b) {
            return format!("data:image/png;base64,{b}");
        }
    }
}

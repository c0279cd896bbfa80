//! The PERSON, LOCATION and ORGANIZATION detectors: names by gazetteer,
//! shape and context.
//!
//! Why not rules: a name has no shape a regex can confirm, only
//! membership in long lists (130,000 given names, surnames and places)
//! and evidence around it (capitals, a title, "Dear", a legal-form
//! suffix). So these detectors are code over the embedded gazetteers
//! (`data/*.tsv`), run once per haystack next to the rule pass.
//!
//! # How
//!
//! 1. **Lexicon.** Every given name, surname, place and common English
//!    word is one entry of a hash map keyed by its lower-case bytes
//!    (loaded once per process, shared by every scanner; see
//!    [`lexicon_load_time`]). A token is looked up once, after
//!    lower-casing it into a stack buffer.
//! 2. **Segments.** Only capitalised tokens can start a name, so the
//!    haystack is visited at upper-case letters that start a word (a
//!    block test over 64 bytes at a time). From there the detector takes
//!    the *segment* around it: the stretch between two boundaries, where
//!    a boundary is a lower-case word that is not a name particle (`van`,
//!    `de`, `and`, `of`, ...), a number, or a byte other than a space,
//!    `.`, `,`, `&`, an apostrophe or a hyphen. A segment longer than
//!    [`SEG_MAX`] bytes (a heading in capitals, a table row) yields
//!    nothing.
//! 3. **Chains.** Inside a segment, legal-form suffixes (`Inc.`, `LLC`,
//!    `GmbH`, ...) and `A, B and C` partnerships make ORGANIZATION spans;
//!    the rest is cut into chains of capitalised words at commas, `and`
//!    and sentence ends. A chain is a PERSON when its words fit a name
//!    (a given name then surnames or unknown capitalised words, initials,
//!    particles, a title before it), or a LOCATION when it is a place in
//!    the gazetteer (ranked by kind and population) or follows `in`,
//!    `near`, `from` and looks like one. Ambiguous words (`May`, `Will`,
//!    `Grant`, `Rose`: given names that are common English words) are a
//!    name only inside a longer name, after a title or after a cue
//!    (`my name is`, `Dear`, `Hi`, `patient`, `customer`, ...); a common
//!    word that starts a sentence never is.
//! 4. **Long place names.** Country names that are no phrase of
//!    capitalised words (`Bosnia & Herzegovina`, `Democratic Republic of
//!    the Congo`, `Côte d’Ivoire`) are matched on the text at every
//!    capital that starts a word ([`LongPlaces`]), and every other hit
//!    they overlap gives way to them.
//! 5. **Fields and handles.** `Name: X`, `From: X`, `Seller: X`,
//!    `Location: X` style fields, and `@handle`s that contain a name,
//!    are found at `:` and `@` bytes (memchr).
//!
//! # Bounds
//!
//! Every decision reads only the segment (at most [`SEG_MAX`] bytes),
//! [`CUE_WINDOW`] bytes before it and a few bytes after it, so findings
//! depend only on the bytes from [`LEFT`] before them to [`HOLD`] after
//! their start (a long place name reads at most
//! [`LongPlaces::MAX_LEN`] bytes from its start, and a window looks that
//! far back for one that starts before it); the scanner holds
//! back that much at the end of a streamed buffer, like a rule's
//! `max_len`. Nothing allocates per byte: the items of a segment live in
//! a fixed array.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const GIVEN_NAMES: &str = include_str!("../data/given_names.tsv");
const SURNAMES: &str = include_str!("../data/surnames.tsv");
const LOCATIONS: &str = include_str!("../data/locations.tsv");
const COMMON_WORDS: &str = include_str!("../data/common_words.tsv");
const COUNTRY_NAMES: &str = include_str!("../data/country_names.tsv");

/// The longest segment (bytes between two boundaries) that can yield a
/// finding.
pub(crate) const SEG_MAX: usize = 128;
/// Bytes before a segment read for cue words.
pub(crate) const CUE_WINDOW: usize = 40;
/// The longest token considered a word.
const MAX_TOKEN: usize = 40;
/// How far (bytes) past the start of a finding a decision about it reads:
/// the rest of its segment, the token at the segment's limit (whose
/// length and case decide where the segment ends), and the word after the
/// segment. Fields (a value of at most 64 bytes), handles (32) and CJK
/// names (61 plus 24 of context) read less. A stream holds this back.
pub(crate) const HOLD: usize = SEG_MAX + MAX_TOKEN + 24;
/// How far before the start of a finding a decision reads: the segment
/// start, the token before it and the cue words before that.
pub(crate) const LEFT: usize = SEG_MAX + MAX_TOKEN + CUE_WINDOW + 48;
/// The most items (words, commas, ...) in a segment.
const MAX_ITEMS: usize = 40;

// ---------------------------------------------------------------------
// The lexicon

/// A fast, non-cryptographic hasher for short byte keys (FxHash).
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w))
                .wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w))
                .wrapping_mul(K);
        }
    }

    /// The same value as `write(&n.to_le_bytes())` (two words), without
    /// the slice loop: lexicon keys are `u128`s.
    #[inline]
    fn write_u128(&mut self, n: u128) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(K);
        self.0 = (self.0.rotate_left(5) ^ (n >> 64) as u64).wrapping_mul(K);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64)
            .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// Place ranks, from no place to continent.
const CITY_SMALL: u8 = 1;
const CITY: u8 = 2;
const CITY_BIG: u8 = 3;
const REGION: u8 = 4;
const COUNTRY: u8 = 5;

/// Flags of hand-listed words.
const STOP: u16 = 1; // capitalised but never a name (months, brands, ...)
const TITLE: u16 = 2; // Mr, Dr, Prof ...
const SUFFIX: u16 = 4; // Inc, LLC, GmbH ...
const PLACE_PREFIX: u16 = 8; // Lake, Port, North ...
const PARTICLE: u16 = 16; // van, de, von ...
const STREET: u16 = 32; // Street, Avenue ... (part of an address)
const PCUE: u16 = 64; // Dear, Hi, Patient ... (a person follows)
const SCUE: u16 = 128; // a strong cue: even an ambiguous name follows
const PLACE_HEAD: u16 = 256; // first word of a multi-word place (United)
const BRAND: u16 = 512; // a company or product name (Google, Apple)
const INSTITUTION: u16 = 1024; // University, Hospital, Bank ... (an org's head)
const FIRM: u16 = 2048; // a firm named like a person (Morgan Stanley): a phrase
const ROLE: u16 = 4096; // CEO, Founder ...: "CFO of X" names an employer
const ORG_HEAD: u16 = 8192; // Stichting, Grupo, Banco ...: an org's first word
const POSTNOM: u16 = 16384; // MD, PhD, DDS ...: letters after a person's name

/// What the lexicon knows about one lower-case word or phrase.
#[derive(Clone, Copy, Debug, Default)]
struct Info {
    /// Given-name frequency, people per million plus one (0: not one).
    given: u32,
    /// Surname frequency, people per million plus one (0: not one).
    surname: u32,
    /// The highest place rank of the name (0: not a place).
    place: u8,
    /// SCOWL level if a common English word (0: not one).
    word: u8,
    /// Hand-listed flags.
    flags: u16,
}

impl Info {
    fn surname_ppm(&self) -> u32 {
        self.surname.saturating_sub(1)
    }
    fn is_given(&self) -> bool {
        self.given > 0
    }
    fn is_surname(&self) -> bool {
        self.surname > 0
    }
    fn is_name(&self) -> bool {
        self.is_given() || self.is_surname()
    }
    fn common(&self) -> bool {
        self.word != 0
    }
    fn flag(&self, f: u16) -> bool {
        self.flags & f != 0
    }
    /// Not in any list.
    fn unknown(&self) -> bool {
        !self.is_name() && !self.common() && self.place == 0 && self.flags == 0
    }
}

/// A map from short byte strings: keys of up to 16 bytes are packed
/// into a `u128` (no pointer to chase, no `memcmp` per probe), longer
/// ones are boxed.
#[derive(Debug, Default)]
struct Table<V> {
    short: HashMap<u128, V, BuildHasherDefault<Fx>>,
    long: HashMap<Box<[u8]>, V, BuildHasherDefault<Fx>>,
}

/// `k` packed into a `u128` if it has at most 16 bytes (words hold no
/// NUL byte, so zero padding is unambiguous).
#[inline]
fn pack(k: &[u8]) -> Option<u128> {
    if k.len() > 16 {
        return None;
    }
    let mut b = [0u8; 16];
    b[..k.len()].copy_from_slice(k);
    Some(u128::from_le_bytes(b))
}

/// ASCII upper-case letters of `w` (eight bytes) lower-cased, other
/// bytes unchanged (SWAR: each byte's high bit is a comparison result).
#[inline]
fn lower64(w: u64) -> u64 {
    const L: u64 = 0x0101_0101_0101_0101;
    const H: u64 = 0x8080_8080_8080_8080;
    let x = w & !H;
    let ge_a = (x + L * (0x80 - u64::from(b'A'))) & H;
    let gt_z = (x + L * (0x80 - u64::from(b'Z') - 1)) & H;
    w | ((ge_a & !gt_z & !w & H) >> 2)
}

/// `KEY_MASKS[n]` keeps the low `n` bytes of a `u128` (a table: a `u128`
/// shift by a variable amount compiles to branches).
static KEY_MASKS: [u128; 17] = {
    let mut m = [0u128; 17];
    let mut n = 1;
    while n <= 16 {
        m[n] = u128::MAX >> (8 * (16 - n));
        n += 1;
    }
    m
};

/// `h[s..e]` lower-cased (ASCII) and packed like [`pack`], if it has at
/// most 16 bytes: one 16-byte load and a SWAR lower-casing instead of
/// copies of a variable length.
#[inline]
fn key_at(h: &[u8], s: usize, e: usize) -> Option<u128> {
    let n = e.checked_sub(s)?;
    if n > 16 {
        return None;
    }
    let w = match h.get(s..s + 16).map(<[u8; 16]>::try_from) {
        Some(Ok(b)) => u128::from_le_bytes(b) & KEY_MASKS[n],
        _ => {
            let mut b = [0u8; 16];
            b[..n].copy_from_slice(h.get(s..e)?);
            u128::from_le_bytes(b)
        }
    };
    let lo = lower64(w as u64);
    let hi = lower64((w >> 64) as u64);
    Some(u128::from(lo) | (u128::from(hi) << 64))
}

impl<V: Default + Copy> Table<V> {
    fn with_capacity(n: usize) -> Table<V> {
        Table {
            short: HashMap::with_capacity_and_hasher(n, Default::default()),
            long: HashMap::default(),
        }
    }

    fn entry(&mut self, k: &[u8]) -> &mut V {
        match pack(k) {
            Some(p) => self.short.entry(p).or_default(),
            None => self.long.entry(k.into()).or_default(),
        }
    }

    #[inline]
    fn get(&self, k: &[u8]) -> Option<V> {
        match pack(k) {
            Some(p) => self.short.get(&p).copied(),
            None => self.long.get(k).copied(),
        }
    }
}

type Map = Table<Info>;

/// The lexicon of the name detectors.
#[derive(Debug)]
pub(crate) struct Lexicon {
    map: Map,
    /// Cue words and phrases (lower-case), with `C_*` bits.
    cues: Table<u8>,
    /// The last words (packed like [`pack`]) of every cue: the text
    /// before a segment can only end with a cue if its last word is one
    /// of them, so most segments skip collecting the words before them.
    cue_last: HashSet<u128, BuildHasherDefault<Fx>>,
    /// Place names that are no phrase of capitalised words (see
    /// [`LongPlaces`]).
    long: LongPlaces,
    load_time: Duration,
}

const STOP_WORDS: &[&str] = &[
    // "I’m Madison": contractions of "I" with a typographic apostrophe
    // are one token (the ASCII apostrophe splits them).
    "i\u{2019}m",
    "i\u{2019}ve",
    "i\u{2019}d",
    "i\u{2019}ll",
    // Calendar.
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "christmas",
    "easter",
    "halloween",
    "thanksgiving",
    "ramadan",
    "diwali",
    "hanukkah",
    // Peoples and languages.
    "english",
    "american",
    "british",
    "french",
    "german",
    "spanish",
    "italian",
    "chinese",
    "japanese",
    "korean",
    "indian",
    "russian",
    "canadian",
    "australian",
    "mexican",
    "brazilian",
    "dutch",
    "swedish",
    "norwegian",
    "danish",
    "finnish",
    "polish",
    "irish",
    "scottish",
    "welsh",
    "european",
    "african",
    "asian",
    "latin",
    "arabic",
    "hindi",
    "portuguese",
    "greek",
    "turkish",
    "swiss",
    "austrian",
    "belgian",
    "filipino",
    "pakistani",
    "nigerian",
    "hebrew",
    "jewish",
    "muslim",
    "christian",
    "catholic",
    "hindu",
    "buddhist",
    "western",
    "eastern",
    "northern",
    "southern",
    "mandarin",
    "cantonese",
    "urdu",
    "bengali",
    "tamil",
    "telugu",
    "punjabi",
    "gujarati",
    "marathi",
    "kannada",
    // Titles of things, honorific words that are not names.
    "god",
    "lord's",
    "bible",
    "quran",
    "congress",
    "parliament",
    "senate",
    "ceo",
    "cto",
    "cfo",
    "coo",
    "vp",
    "svp",
    "evp",
    "hr",
    "it",
    "ok",
    "okay",
    "faq",
    "api",
    "pdf",
    "url",
    "ssn",
    "dob",
    "id",
    "usa",
    "uk",
    "eu",
    "un",
    "nhs",
    "irs",
    "fbi",
    "cia",
    "nasa",
    "gdpr",
    "hipaa",
    "street",
    "road",
    "avenue",
    "lane",
    "drive",
    "court",
    "boulevard",
    "dear",
    "hi",
    "hello",
    "hey",
    "thanks",
    "regards",
    "cheers",
    "best",
    "sincerely",
    "love",
    "yours",
    "team",
    "support",
    "admin",
    "user",
    "customer",
    "client",
    "patient",
    "doctor",
    "nurse",
    "manager",
    "director",
    "president",
    "chief",
    "officer",
    "agent",
    "staff",
    "unknown",
    "anonymous",
    "none",
    "null",
    "n/a",
    "na",
    "tbd",
    "todo",
    "note",
    "notes",
    "re",
    "fwd",
    "fw",
    "subject",
    "date",
    "from",
    "to",
    "cc",
    "bcc",
    "sent",
    "name",
    "ps",
    "pps",
    "am",
    "pm",
    "est",
    "pst",
    "gmt",
    "utc",
    "cet",
    "q1",
    "q2",
    "q3",
    "q4",
    "fy",
    "ltd.",
    "mr.",
    "mac",
    "macos",
    "macintosh",
    "ios",
    "os",
    "mozilla",
    "gecko",
    "webkit",
    "khtml",
    "x11",
    "ubuntu",
    "debian",
    "fedora",
    "centos",
    "nginx",
    "apache",
    "edge",
    "opera",
    "yo",
    "chapter",
    "section",
    "quick",
    // Products, companies, services that name no person: see BRANDS.
    // Software words capitalised in changelogs ("in Makefile", "*
    // Backport upstream fix").
    "backport",
    "makefile",
    "homepage",
    "uploaders",
    "changelog",
    "readme",
    // Parties named by their role in contracts and licences ("submitted
    // to Licensor", "applied by Affirmer").
    "licensor",
    "licensors",
    "licensee",
    "licensees",
    "sublicensee",
    "affirmer",
    "grantor",
    "grantee",
    "assignor",
    "assignee",
    "lessor",
    "lessee",
    "mortgagor",
    "mortgagee",
    "obligor",
    "obligee",
    "indemnitor",
    "indemnitee",
    "transferor",
    "transferee",
    "guarantor",
    "franchisor",
    "franchisee",
];

/// Companies and products: no person, no place alone, but the name of
/// an organisation before a legal form ("Apple Inc.", "Microsoft
/// Corporation"). Listed as stop words too.
const BRANDS: &[&str] = &[
    "netscape",
    "usenet",
    "google",
    "microsoft",
    "apple",
    "amazon",
    "facebook",
    "meta",
    "twitter",
    "linkedin",
    "instagram",
    "youtube",
    "whatsapp",
    "tiktok",
    "reddit",
    "netflix",
    "spotify",
    "uber",
    "airbnb",
    "tesla",
    "nvidia",
    "intel",
    "ibm",
    "oracle",
    "salesforce",
    "slack",
    "zoom",
    "github",
    "gitlab",
    "python",
    "java",
    "javascript",
    "typescript",
    "rust",
    "linux",
    "windows",
    "android",
    "iphone",
    "ipad",
    "macbook",
    "excel",
    "word",
    "powerpoint",
    "outlook",
    "gmail",
    "chrome",
    "firefox",
    "safari",
    "docker",
    "kubernetes",
    "postgres",
    "postgresql",
    "mysql",
    "redis",
    "aws",
    "azure",
    "gcp",
    "claude",
    "anthropic",
    "openai",
    "chatgpt",
    "gpt",
    "gemini",
    "copilot",
    "siri",
    "alexa",
    "paypal",
    "stripe",
    "visa",
    "mastercard",
    "amex",
    "venmo",
    "jira",
    "confluence",
    "notion",
    "figma",
    "dropbox",
    "ebay",
    "walmart",
    "costco",
    "target",
    "starbucks",
    "mcdonalds",
    "toyota",
    "honda",
    "ford",
    "bmw",
    "audi",
    "mercedes",
    "samsung",
    "sony",
    "lenovo",
    "dell",
    "hp",
    "cisco",
    "adobe",
    "wikipedia",
    "covid",
    "internet",
    "bluetooth",
    "wifi",
];

const TITLES: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "rev",
    "reverend",
    "fr",
    "father",
    "sister",
    "brother",
    "doctor",
    "judge",
    "justice",
    "officer",
    "detective",
    "captain",
    "capt",
    "sgt",
    "sergeant",
    "lt",
    "lieutenant",
    "col",
    "colonel",
    "gen",
    "general",
    "president",
    "senator",
    "sen",
    "governor",
    "gov",
    "rep",
    "mayor",
    "councillor",
    "councilman",
    "nurse",
    "madam",
    "madame",
    "mme",
    "mlle",
    "herr",
    "frau",
    "señor",
    "señora",
    "sr",
    "sra",
    "dra",
    // Spanish, Italian, Turkish and Polish titles.
    "lic",
    "ing",
    "arq",
    "sig",
    "doç",
    "bayan",
    "mgr",
    "aunt",
    "uncle",
    "grandma",
    "grandpa",
    "coach",
    "pastor",
    "rabbi",
    "imam",
    "king",
    "queen",
    "prince",
    "princess",
    "saint",
];

const SUFFIXES: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "gmbh",
    "corp",
    "corporation",
    "plc",
    "co",
    "ag",
    "llp",
    "lp",
    "pty",
    "bv",
    "nv",
    "sarl",
    "sas",
    "spa",
    "limited",
    "incorporated",
    "group",
    "holdings",
    "partners",
    "kg",
    "oy",
    "ab",
    "as",
    "aps",
    "sl",
    "srl",
    "kk",
    "pvt",
    "pte",
    "lllp",
    "pllc",
    "pc",
    "labs",
    // German forms: foundation, civil-law partnership, general
    // partnership, partnership limited by shares; French and Spanish SA.
    "stiftung",
    "gbr",
    "ohg",
    "kgaa",
    "sa",
    // Swedish trading partnership, Dutch group.
    "hb",
    "groep",
];

/// Well-known firms whose names read as people's names ("Morgan
/// Stanley", "Wells Fargo"): without a legal form, the chain walk would
/// call them a person. Phrases of two or three words, lower case. Names
/// that are as often a person as a brand (Ralph Lauren, Walt Disney,
/// John Lewis) are left out.
const FIRMS: &[&str] = &[
    "goldman sachs",
    "morgan stanley",
    "wells fargo",
    "merrill lynch",
    "charles schwab",
    "smith barney",
    "dean witter",
    "arthur andersen",
    "price waterhouse",
    "booz allen",
    "booz allen hamilton",
    "bain capital",
    "lehman brothers",
    "salomon brothers",
    "dow jones",
    "warner bros",
    "hewlett packard",
    "harley davidson",
    "rolls royce",
    "aston martin",
    "mercedes benz",
    "jp morgan",
    "jpmorgan chase",
    "johnson controls",
    "kimberly clark",
    "thomson reuters",
    "reed elsevier",
];

/// The head word of an institution's name: the capitalised words before
/// it ("Boston University", "St. Mary's Hospital", "Deutsche Bank") or
/// `of` and a name after it ("University of Michigan", "Bank of
/// America") make an organisation, as a legal form does.
const INSTITUTIONS: &[&str] = &[
    "university",
    "college",
    "academy",
    "institute",
    "hospital",
    "clinic",
    "bank",
    "foundation",
    "museum",
    "society",
    "association",
    "ministry",
];

const PLACE_PREFIXES: &[&str] = &[
    "lake", "port", "mount", "mt", "fort", "ft", "east", "west", "north",
    "south", "new", "san", "santa", "saint", "sainte", "sankt", "st", "los",
    "las", "el", "upper", "lower", "great", "little", "cape", "isle",
];

/// Letters after a person's name (degrees, professions, generations):
/// judged without them, and part of the person's span.
const POSTNOMINALS: &[&str] = &[
    "md", "dds", "dmd", "dvm", "phd", "mba", "cpa", "rn", "esq", "jr", "sr",
    "iii", "bsc", "msc", "llm", "jd", "facs", "frcs", "mrcp",
];

/// Degrees written with dots, which read as initials letter by letter.
const DOTTED_DEGREES: &[&[u8]] = &[
    b"B.A.",
    b"M.A.",
    b"B.Sc.",
    b"M.Sc.",
    b"Ph.D.",
    b"B.Ed.",
    b"M.Ed.",
    b"LL.B.",
    b"LL.M.",
    b"B.Eng.",
    b"M.Eng.",
    b"B.Com.",
    b"M.B.A.",
    b"Dipl.-Ing.",
    b"Dipl.-Kfm.",
];

/// The length of the dotted degree at `i` (see [`DOTTED_DEGREES`]) when
/// no letter or digit follows it, or `None`.
fn dotted_degree_len(h: &[u8], i: usize) -> Option<usize> {
    let rest = &h[i..];
    // Every degree of the list starts so: most words are rejected here.
    if !matches!(
        (rest.first(), rest.get(1)),
        (
            Some(b'B' | b'M' | b'P' | b'L' | b'D'),
            Some(b'.' | b'h' | b'L' | b'i')
        )
    ) {
        return None;
    }
    DOTTED_DEGREES
        .iter()
        .find(|d| {
            rest.starts_with(d)
                && !rest.get(d.len()).is_some_and(u8::is_ascii_alphanumeric)
        })
        .map(|d| d.len())
}

/// Roles whose `of` names an employer ("the new CFO of Carr-Perkins").
const ROLES: &[&str] = &[
    "ceo",
    "cfo",
    "cto",
    "coo",
    "cio",
    "founder",
    "cofounder",
    "co-founder",
    "chairman",
    "chairwoman",
    "chairperson",
];

/// Words that open an organisation's name in other languages
/// ("Stichting le Luc", "Grupo Bimbo", "Banco Santander").
const ORG_HEADS: &[&str] = &[
    "stichting",
    "fundacja",
    "fundación",
    "fundacion",
    "fundação",
    "fondazione",
    "grupa",
    "grupo",
    "gruppo",
    "industrias",
    "laboratorios",
    "corporación",
    "corporacion",
    "compañía",
    "compania",
    "companhia",
    "banco",
    "instituto",
    "istituto",
];

const PARTICLES: &[&str] = &[
    "van", "von", "de", "der", "den", "del", "della", "dei", "di", "da",
    "das", "dos", "du", "la", "le", "ter", "ten", "bin", "ibn", "bint", "al",
    "el", "y", "zu", "af", "and", "of", "plc", "e", "et", "und",
];

const STREETS: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "lane",
    "ln",
    "drive",
    "dr",
    "boulevard",
    "blvd",
    "court",
    "ct",
    "place",
    "pl",
    "way",
    "terrace",
    "close",
    "crescent",
    "square",
    "sq",
    "highway",
    "hwy",
    "parkway",
    "pkwy",
    "alley",
    "circle",
    "cir",
    "marg",
    "nagar",
];

/// The base letter (lower case) of U+00C0..=U+00FF, the second byte of
/// `C3 xx` less 0x80; `-` where there is none (Æ, ×, ß, Þ).
const LATIN1_BASE: &[u8; 64] =
    b"aaaaaa-ceeeeiiiidnooooo-ouuuuy--aaaaaa-ceeeeiiiidnooooo-ouuuuy-y";

/// The base letter of U+0100..=U+017F (Latin Extended-A: Polish, Czech,
/// Turkish, Baltic letters), from `C4 80` on; `-` for the ligatures.
const LATIN_EXT_A_BASE: &[u8; 128] =
    b"aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii--jjkkkllllllllll\
      nnnnnn-nnoooooo--rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

/// Cue bits: the lists a word or phrase is on.
const C_PERSON: u8 = 1;
const C_STRONG: u8 = 2;
const C_PLACE: u8 = 4;
const C_PFIELD: u8 = 8;
const C_LFIELD: u8 = 16;
const C_PAFTER: u8 = 32;
const C_LAFTER: u8 = 64;
const C_EMPLOYER: u8 = 128;

/// Words before a segment that make its first word a person.
const PERSON_CUES: &[&str] = &[
    "dear",
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank you",
    "cheers",
    "regards",
    "sincerely",
    "name is",
    "i'm",
    "i am",
    "im",
    "called",
    "yo",
    "named",
    "call me",
    "this is",
    "patient",
    "customer",
    "client",
    "contact",
    "signed",
    "attn",
    "colleague",
    "manager",
    "husband",
    "wife",
    "son",
    "daughter",
    "brother",
    "sister",
    "mother",
    "father",
    "mom",
    "mum",
    "dad",
    "friend",
    "spouse",
    "boss",
    "married to",
    "with",
    "by",
    "from",
    "ask",
    "asked",
    "tell",
    "told",
    "met",
    "meet",
    "cc",
    "love",
    "best",
    "yours",
    "sorry",
    "congrats",
    "welcome",
    "thank",
    "user",
    "employee",
    "tenant",
    "applicant",
    "candidate",
    "student",
    "teacher",
    "member",
    "author",
    "owner",
    "agent",
    "partner",
    "fiancé",
    "fiance",
    "fiancée",
    "girlfriend",
    "boyfriend",
];

/// Words before a segment that make it an employer: people do not work
/// at a person ("a demanding job at Cyber Silver", "working at John
/// Lewis").
const EMPLOYER_CUES: &[&str] = &[
    "work at",
    "works at",
    "working at",
    "worked at",
    "job at",
    "employed at",
    "shift at",
    "shifts at",
    "intern at",
    "internship at",
    "position at",
    "career at",
    "team at",
    "ceo of",
    "cfo of",
    "cto of",
    "coo of",
    "founder of",
    "co-founder of",
    "president of",
    "chairman of",
    "works for",
    "work for",
    "working for",
    "worked for",
    "employed by",
    "hired by",
    "job with",
    "contract with",
    "signed with",
    "acquired by",
    "joined",
    "joins",
    "rejoined",
    // Also field names (`Employer: X`, see `fields`).
    "employer",
    "employer name",
    "company",
    "company name",
    "organization",
    "organisation",
    "workplace",
];

/// Cues that are strong enough for an ambiguous word ("Dear Will").
const STRONG_CUES: &[&str] = &[
    "dear",
    "yo",
    "hi",
    "hello",
    "hey",
    "name is",
    "i'm",
    "i am",
    "call me",
    "thanks",
    "thank you",
    "cheers",
    "regards",
    "signed",
    "patient",
    "customer",
    "client",
    "married to",
    "husband",
    "wife",
];

/// Words before a segment that make it a place.
const PLACE_CUES: &[&str] = &[
    "in",
    "near",
    "from",
    "to",
    "at",
    "visit",
    "visited",
    "visiting",
    "across",
    "outside",
    "around",
    "based in",
    "moved to",
    "born in",
    "lives in",
    "live in",
    "located in",
    "office in",
    "trip to",
    "flew to",
    "travel to",
    "city of",
    "via",
    "towards",
    "for",
];

/// Words right after a single name that make it a person.
const PERSON_AFTER: &[&[u8]] = &[
    b"said",
    b"says",
    b"told",
    b"asked",
    b"asks",
    b"wrote",
    b"writes",
    b"replied",
    b"added",
    b"explained",
    b"thinks",
    b"thought",
    b"joined",
    b"from",
    b"agreed",
    b"noted",
    b"emailed",
    b"called",
    b"signed",
    b"prefers",
    b"wants",
    b"needs",
    b"requested",
    b"reported",
    b"confirmed",
    b"mentioned",
    b"recommended",
    b"suggested",
    b"wrote",
    b"insisted",
];

/// Words right after a name that make it a place ("the Leeds office").
const PLACE_AFTER: &[&[u8]] = &[
    b"office",
    b"offices",
    b"branch",
    b"team",
    b"area",
    b"region",
    b"headquarters",
    b"hq",
    b"campus",
    b"site",
    b"store",
    b"airport",
    b"county",
    b"suburb",
    b"district",
    b"expo",
    b"plant",
    b"factory",
    b"warehouse",
    b"metro",
    b"station",
];

/// Endings of English place names (for names not in the gazetteer).
const PLACE_ENDINGS: &[&[u8]] = &[
    b"burgh", b"borough", b"bury", b"chester", b"haven", b"ville", b"mouth",
    b"shire", b"stad", b"furt", b"port", b"view", b"town", b"ton", b"land",
    b"fort", b"side", b"berg", b"ford", b"field",
];

/// Field names whose value is a person (`Name: ...`).
const PERSON_FIELDS: &[&str] = &[
    "name",
    "full name",
    "first name",
    "last name",
    "surname",
    "username",
    "user name",
    "seller",
    "buyer",
    "author",
    "from",
    "to",
    "cc",
    "signed",
    "contact",
    "patient",
    "customer",
    "client",
    "employee",
    "attn",
    "sender",
    "recipient",
    "nickname",
    "handle",
    "posted by",
    "reviewer",
    "landlord",
    "tenant",
    "applicant",
    "account holder",
    "cardholder",
    "beneficiary",
    "guest",
    "driver",
    "passenger",
    "member",
    "student",
    "owner",
    "spouse",
    "contact person",
    "emergency contact",
    "reported by",
    "assigned to",
    "requester",
    "account manager",
    "account owner",
    "manager",
    "owner",
    "agent",
    "assignee",
    "approver",
    "organizer",
    "host",
    "speaker",
    "lead",
];

/// Field names whose value is a place.
const PLACE_FIELDS: &[&str] = &[
    "location",
    "city",
    "country",
    "town",
    "hometown",
    "region",
    "general location",
    "place of birth",
    "birthplace",
    "lives in",
    "pickup",
    "pick-up",
    "pickup location",
    "location for pickup",
    "province",
    "neighborhood",
    "neighbourhood",
];

impl Lexicon {
    fn load() -> Lexicon {
        let t = Instant::now();
        let mut map: Map = Table::with_capacity(180_000);
        fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .map(|l| l.split('\t').collect())
        }
        let key = |s: &str| -> Box<[u8]> {
            s.to_ascii_lowercase().into_bytes().into_boxed_slice()
        };
        for f in rows(GIVEN_NAMES) {
            let ppm: u32 = f.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
            map.entry(&key(f[0])).given = ppm.saturating_add(1);
        }
        for f in rows(SURNAMES) {
            let ppm: u32 = f.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
            map.entry(&key(f[0])).surname = ppm.saturating_add(1);
        }
        let mut big_places = Vec::new();
        for f in rows(LOCATIONS) {
            let pop: u64 = f.get(2).and_then(|v| v.parse().ok()).unwrap_or(0);
            if matches!(
                f.get(1).copied(),
                Some("country" | "region" | "continent")
            ) {
                big_places.push(f[0]);
            }
            let rank = match f.get(1).copied() {
                Some("continent") | Some("country") => COUNTRY,
                Some("region") => REGION,
                _ if pop >= 1_000_000 => CITY_BIG,
                _ if pop >= 100_000 => CITY,
                _ => CITY_SMALL,
            };
            let e = map.entry(&key(f[0]));
            e.place = e.place.max(rank);
        }
        for f in rows(COMMON_WORDS) {
            let level: u8 =
                f.get(1).and_then(|v| v.parse().ok()).unwrap_or(35);
            // Only words that occur as names or capitalised matter, but
            // every word is kept: a capitalised common word is evidence
            // against a name.
            map.entry(&key(f[0])).word = level.max(1);
        }
        // Country names in ten languages and official long forms: those
        // that read as a phrase of capitalised words go into the map,
        // the others ("Bosnia & Herzegovina", "Democratic Republic of the
        // Congo", "Côte d’Ivoire") are matched on the text.
        let mut long = LongPlaces::default();
        let countries = rows(COUNTRY_NAMES)
            .map(|f| f[0])
            .chain(LONG_PLACE_NAMES.iter().copied());
        let mut heads = Vec::new();
        for name in countries.chain(big_places) {
            if LongPlaces::needs_text(name) {
                long.add(name);
            } else {
                let e = map.entry(&key(name));
                e.place = e.place.max(COUNTRY);
                if let Some((head, _)) = name.split_once(' ') {
                    heads.push(head);
                }
            }
        }
        long.finish();
        // "United States": its first word must start a segment, unless it
        // is one of the most common words ("The Hague"; "The" is then
        // found from "Hague").
        let location_heads = rows(LOCATIONS)
            .filter_map(|f| f[0].split_once(' ').map(|(head, _)| head));
        for head in location_heads.chain(heads) {
            let e = map.entry(&key(head));
            if !(1..=10).contains(&e.word) {
                e.flags |= PLACE_HEAD;
            }
        }
        // The census lists hold many everyday words as rare names
        // ("you", "to", "section", "work" as surnames): a very common
        // word (SCOWL 10 or 20) counts as a name only when the name is
        // frequent (Will, May, Grant as given names; Young, Brown, King
        // as surnames). Likewise a very common word is a place only when
        // the place has 100,000 people or more (Reading, Nice): towns of
        // 15,000 called Of, Police, Central or University are not worth
        // the false places ("the Police office").
        for e in map.short.values_mut().chain(map.long.values_mut()) {
            if (1..=20).contains(&e.word) {
                if e.given > 0 && e.given - 1 < 20 {
                    e.given = 0;
                }
                if e.surname > 0 && e.surname - 1 < 50 {
                    e.surname = 0;
                }
                if e.place == CITY_SMALL {
                    e.place = 0;
                }
            }
        }
        for (list, flag) in [
            (STOP_WORDS, STOP),
            (TITLES, TITLE),
            (SUFFIXES, SUFFIX),
            (INSTITUTIONS, SUFFIX | INSTITUTION),
            (BRANDS, STOP | BRAND),
            (PLACE_PREFIXES, PLACE_PREFIX),
            (PARTICLES, PARTICLE),
            (STREETS, STREET),
            (FIRMS, FIRM),
            (ROLES, ROLE),
            (ORG_HEADS, ORG_HEAD),
            (POSTNOMINALS, POSTNOM),
        ] {
            for w in list {
                map.entry(&key(w)).flags |= flag;
            }
        }
        for (list, flag) in [(PERSON_CUES, PCUE), (STRONG_CUES, SCUE | PCUE)] {
            for w in list.iter().filter(|w| !w.contains(' ')) {
                map.entry(&key(w)).flags |= flag;
            }
        }
        let mut cues: Table<u8> = Table::with_capacity(256);
        for (list, bit) in [
            (PERSON_CUES, C_PERSON),
            (STRONG_CUES, C_STRONG),
            (PLACE_CUES, C_PLACE),
            (PERSON_FIELDS, C_PFIELD),
            (PLACE_FIELDS, C_LFIELD),
            (EMPLOYER_CUES, C_EMPLOYER),
        ] {
            for w in list {
                *cues.entry(&key(w)) |= bit;
            }
        }
        for (list, bit) in [(PERSON_AFTER, C_PAFTER), (PLACE_AFTER, C_LAFTER)]
        {
            for w in list {
                *cues.entry(w) |= bit;
            }
        }
        let mut cue_last = HashSet::default();
        let mut last_word = |k: &[u8]| {
            let w = k.rsplit(|&b| b == b' ').next().unwrap_or(k);
            // A last word longer than 16 bytes is never ruled out by the
            // set (`cue_bits_before` takes the slow path for it).
            if let Some(p) = pack(w) {
                cue_last.insert(p);
            }
        };
        for &k in cues.short.keys() {
            let b = k.to_le_bytes();
            let n = b.iter().position(|&c| c == 0).unwrap_or(16);
            last_word(&b[..n]);
        }
        for k in cues.long.keys() {
            last_word(k);
        }
        Lexicon { map, cues, cue_last, long, load_time: t.elapsed() }
    }

    /// The info of the token `h[s..e]`, like `get(&h[s..e])`.
    #[inline]
    fn get_at(&self, h: &[u8], s: usize, e: usize) -> Info {
        match key_at(h, s, e) {
            Some(k) => self.get_key(k),
            None => self.get(&h[s..e]),
        }
    }

    /// The info of the word with the packed key `key` (see [`key_at`]).
    #[inline]
    fn get_key(&self, key: u128) -> Info {
        self.map.short.get(&key).copied().unwrap_or_default()
    }

    /// The info of a token (any case; ASCII letters are lower-cased).
    #[inline]
    fn get(&self, tok: &[u8]) -> Info {
        if tok.len() <= 16 {
            return self.get_at(tok, 0, tok.len());
        }
        let mut buf = [0u8; MAX_TOKEN + 8];
        if tok.len() > buf.len() {
            return Info::default();
        }
        let k = &mut buf[..tok.len()];
        k.copy_from_slice(tok);
        k.make_ascii_lowercase();
        self.map.get(k).unwrap_or_default()
    }

    /// The `C_*` bits of the cues that `text` (lower-case words joined by
    /// single spaces) ends with, as whole words.
    fn cue_bits(&self, text: &[u8]) -> u8 {
        let mut bits = 0;
        let mut i = text.len();
        for _ in 0..3 {
            let j = text[..i]
                .iter()
                .rposition(|&b| b == b' ')
                .map_or(0, |p| p + 1);
            bits |= self.cues.get(&text[j..]).unwrap_or(0);
            if j == 0 {
                break;
            }
            i = j - 1;
        }
        bits
    }

    /// The `C_*` bits of the cues that the words just before `s` end
    /// with: `cue_bits` of what [`words_before`] collects, but the last
    /// of those words is checked against the cues' last words first, so
    /// that most calls return 0 after reading one word.
    fn cue_bits_before(&self, h: &[u8], s: usize) -> u8 {
        // The last word, found as `words_before` finds its first one.
        let lo = s.saturating_sub(CUE_WINDOW);
        let mut i = s;
        while i > lo && matches!(h[i - 1], b' ' | b',') {
            i -= 1;
        }
        let mut j = i;
        while j > lo
            && (h[j - 1].is_ascii_alphabetic()
                || h[j - 1] == b'\''
                || h[j - 1] >= 0x80)
        {
            j -= 1;
        }
        if j == i || (j > 0 && h[j - 1].is_ascii_alphanumeric()) {
            // `words_before` collects nothing: no cue.
            return 0;
        }
        if let Some(k) = key_at(h, j, i) {
            if !self.cue_last.contains(&k) {
                return 0;
            }
        }
        let mut buf = [0u8; CUE_WINDOW];
        let n = words_before(h, s, &mut buf);
        if n == 0 {
            0
        } else {
            self.cue_bits(&buf[..n])
        }
    }

    /// The `C_*` bits of one word.
    fn word_cue(&self, w: &[u8]) -> u8 {
        self.cues.get(w).unwrap_or(0)
    }

    /// The info of `tok` with its Latin accents taken off ("José" is
    /// looked up as "jose", "Wikström" as "wikstrom"); the empty info if
    /// it has any other non-ASCII letter or is longer than a token.
    fn get_unaccented(&self, tok: &[u8]) -> Info {
        let mut buf = [0u8; MAX_TOKEN];
        let mut n = 0;
        let mut i = 0;
        while i < tok.len() {
            let b = tok[i];
            let c = if b < 0x80 {
                i += 1;
                b.to_ascii_lowercase()
            } else {
                let base = match (b, tok.get(i + 1)) {
                    (0xc3, Some(&x)) if (0x80..0xc0).contains(&x) => {
                        LATIN1_BASE[usize::from(x - 0x80)]
                    }
                    (0xc4 | 0xc5, Some(&x)) if (0x80..0xc0).contains(&x) => {
                        LATIN_EXT_A_BASE[usize::from(b - 0xc4) * 64
                            + usize::from(x - 0x80)]
                    }
                    _ => b'-',
                };
                if base == b'-' {
                    return Info::default();
                }
                i += 2;
                base
            };
            if n == buf.len() {
                return Info::default();
            }
            buf[n] = c;
            n += 1;
        }
        self.get(&buf[..n])
    }

    /// The info of two or three tokens joined by single spaces.
    fn get_phrase(&self, h: &[u8], toks: &[(usize, usize)]) -> Info {
        let mut buf = [0u8; 3 * MAX_TOKEN];
        let mut n = 0;
        for (i, &(s, e)) in toks.iter().enumerate() {
            if i > 0 {
                if n >= buf.len() {
                    return Info::default();
                }
                buf[n] = b' ';
                n += 1;
            }
            let Some(dst) = buf.get_mut(n..n + (e - s)) else {
                return Info::default();
            };
            dst.copy_from_slice(&h[s..e]);
            n += e - s;
        }
        let k = &mut buf[..n];
        k.make_ascii_lowercase();
        self.map.get(k).unwrap_or_default()
    }
}

/// Official long forms of country names that neither GeoNames nor CLDR
/// lists (both give the short forms).
const LONG_PLACE_NAMES: &[&str] = &[
    "United States of America",
    "United Kingdom of Great Britain and Northern Ireland",
    "Republic of Korea",
    "Democratic People's Republic of Korea",
    "People's Republic of China",
    "Republic of China",
    "Republic of Ireland",
    "Kyrgyz Republic",
    "Slovak Republic",
    "Federated States of Micronesia",
    "Holy See",
    "Russian Federation",
    "Islamic Republic of Iran",
    "Syrian Arab Republic",
    "Lao People's Democratic Republic",
    "Republic of Moldova",
    "United Republic of Tanzania",
    "Plurinational State of Bolivia",
    "Bolivarian Republic of Venezuela",
    "Federal Republic of Germany",
    "Kingdom of the Netherlands",
    "Swiss Confederation",
    "Hellenic Republic",
    "Falkland Islands (Malvinas)",
    "Holy See (Vatican City State)",
    "Svalbard & Jan Mayen Islands",
    "Wallis and Futuna Islands",
    "Turks and Caicos Islands",
    "Saint Helena, Ascension and Tristan da Cunha",
];

/// Place names that are not a phrase of up to three capitalised words,
/// so that the segment and chain machinery cannot look them up: names
/// with `and`/`&`, `of the`, parentheses, abbreviations or apostrophes
/// (`Bosnia & Herzegovina`, `Democratic Republic of the Congo`, `Cocos
/// (Keeling) Islands`, `St. Kitts & Nevis`, `Côte d’Ivoire`). Each is
/// matched on the text at a capital that starts a word: a four-byte
/// prefilter, then the names with that first word, longest first.
/// Capitals in a name must be capitals in the text; its lower-case
/// letters may be either (headings in capitals).
#[derive(Debug)]
struct LongPlaces {
    /// Bit [`LongPlaces::bit`] set for the first four bytes of every
    /// name (as written, and in capitals): most capitals of a text are
    /// ruled out with one load and one multiply.
    first4: Box<[u64; 1024]>,
    /// Names (as written) by the lexicon key of their first word, longest
    /// first.
    by_head: HashMap<u128, Vec<Box<[u8]>>, BuildHasherDefault<Fx>>,
}

impl Default for LongPlaces {
    fn default() -> LongPlaces {
        LongPlaces { first4: Box::new([0; 1024]), by_head: HashMap::default() }
    }
}

impl LongPlaces {
    /// The longest name kept, in bytes.
    const MAX_NAME: usize = 64;
    /// The most bytes a match may have beyond its name: a blank of the
    /// name may be a run of blanks and line breaks in the text ("the
    /// United\n     States of America"), up to this many more in all.
    const MAX_EXTRA: usize = 16;
    /// The longest match: a stream that starts a window inside one looks
    /// this far back for its start.
    const MAX_LEN: usize = Self::MAX_NAME + Self::MAX_EXTRA;

    /// Whether `name` cannot be looked up as a phrase of capitalised
    /// words.
    fn needs_text(name: &str) -> bool {
        let words: Vec<&str> = name.split(' ').collect();
        words.len() > 3
            || name.contains(['&', '(', ')', '.', '\'', '\u{2019}', ','])
            || words.iter().any(|w| w.starts_with(char::is_lowercase))
    }

    /// Adds `name` and its spellings: `&` and `and`, `St.`, `St` and
    /// `Saint`, `’` and `'`.
    fn add(&mut self, name: &str) {
        let mut forms = vec![name.to_string()];
        let swaps: [(&str, &[&str]); 3] =
            [(" & ", &[" and "]), (" and ", &[" & "]), ("\u{2019}", &["'"])];
        for (from, to) in swaps {
            let have = forms.clone();
            for f in have.iter().filter(|f| f.contains(from)) {
                for t in to {
                    forms.push(f.replace(from, t));
                }
            }
        }
        let have = forms.clone();
        for f in &have {
            for (from, to) in
                [("St. ", ["Saint ", "St "]), ("Saint ", ["St. ", "St "])]
            {
                if let Some(rest) = f.strip_prefix(from) {
                    for t in to {
                        forms.push(format!("{t}{rest}"));
                    }
                }
            }
        }
        for f in forms {
            let b = f.as_bytes();
            if b.len() > Self::MAX_NAME || b.len() < 4 {
                continue;
            }
            let head_end = token_end(b, 0).max(1);
            let Some(k) = key_at(b, 0, head_end) else { continue };
            let list = self.by_head.entry(k).or_default();
            if !list.iter().any(|x| x[..] == *b) {
                list.push(b.into());
            }
            let Some(four) = b.first_chunk::<4>() else { continue };
            for w in [*four, four.map(|c| c.to_ascii_uppercase())] {
                let bit = Self::bit(w);
                self.first4[bit / 64] |= 1 << (bit % 64);
            }
        }
    }

    /// Sorts each head's names longest first.
    fn finish(&mut self) {
        for list in self.by_head.values_mut() {
            list.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        }
    }

    /// The prefilter's bit for four first bytes.
    #[inline]
    fn bit(four: [u8; 4]) -> usize {
        (u32::from_le_bytes(four).wrapping_mul(0x9e37_79b1) >> 16) as usize
    }

    /// The end of the longest name that starts at `u`, if one does.
    #[inline(always)]
    fn at(&self, h: &[u8], u: usize) -> Option<usize> {
        let four = *h.get(u..)?.first_chunk::<4>()?;
        let bit = Self::bit(four);
        if self.first4[bit / 64] & (1 << (bit % 64)) == 0 {
            return None;
        }
        self.at_slow(h, u)
    }

    #[inline(never)]
    fn at_slow(&self, h: &[u8], u: usize) -> Option<usize> {
        let te = token_end(h, u);
        let names = self.by_head.get(&key_at(h, u, te)?)?;
        names.iter().find_map(|name| {
            let e = Self::match_at(h, u, name)?;
            // The name ends the word: a letter, digit or other non-ASCII
            // byte may not follow, a typographic apostrophe may ("Congo’s").
            let ends = match h.get(e) {
                None => true,
                Some(&b) if b < 0x80 => !tok_byte(b),
                Some(_) => h[e..].starts_with("\u{2019}".as_bytes()),
            };
            ends.then_some(e)
        })
    }

    /// The end of `name` written at `h[u..]`: its capitals as capitals,
    /// its lower-case letters in either case, each blank as one or more
    /// blanks or line breaks (at most [`LongPlaces::MAX_EXTRA`] more
    /// bytes in all).
    fn match_at(h: &[u8], u: usize, name: &[u8]) -> Option<usize> {
        let blank = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
        let (mut i, mut extra) = (u, 0);
        for &n in name {
            let &t = h.get(i)?;
            if n == b' ' {
                if !blank(t) {
                    return None;
                }
                i += 1;
                while h.get(i).is_some_and(|&b| blank(b)) {
                    extra += 1;
                    if extra > Self::MAX_EXTRA {
                        return None;
                    }
                    i += 1;
                }
                continue;
            }
            if !(t == n
                || n.is_ascii_lowercase() && t == n.to_ascii_uppercase())
            {
                return None;
            }
            i += 1;
        }
        Some(i)
    }
}

static LEXICON: OnceLock<Lexicon> = OnceLock::new();

/// The shared lexicon, loaded on first use.
pub(crate) fn lexicon() -> &'static Lexicon {
    LEXICON.get_or_init(Lexicon::load)
}

/// How long loading the name, place and word lexicon took (it is loaded
/// once per process, by the first scanner built with a name detector).
///
/// # Example
///
/// ```
/// let t = hush_detect::lexicon_load_time();
/// assert!(t.as_secs() < 5);
/// ```
pub fn lexicon_load_time() -> Duration {
    lexicon().load_time
}

// ---------------------------------------------------------------------
// Bytes and tokens

/// The length of a non-ASCII punctuation or space character at `i` (the
/// General Punctuation block: dashes, curly quotes, bullets, ellipsis;
/// no-break space, guillemets, middle dot), or 0.
#[inline]
fn punct_at(h: &[u8], i: usize) -> usize {
    match (h.get(i), h.get(i + 1), h.get(i + 2)) {
        (Some(0xe2), Some(0x80), Some(0x80..=0xbf)) => 3,
        (Some(0xc2), Some(0xa0 | 0xab | 0xbb | 0xb7), _) => 2,
        _ => 0,
    }
}

/// The length of such a character ending at `i`, or 0.
#[inline]
fn punct_before(h: &[u8], i: usize) -> usize {
    if i >= 3 && h[i - 3] == 0xe2 && h[i - 2] == 0x80 && h[i - 1] >= 0x80 {
        return 3;
    }
    if i >= 2
        && h[i - 2] == 0xc2
        && matches!(h[i - 1], 0xa0 | 0xab | 0xbb | 0xb7)
    {
        return 2;
    }
    0
}

/// Whether `b` can be part of a word token (ASCII letter or digit, `_`,
/// or a byte of a non-ASCII character).
#[inline]
const fn tok_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Whether `h[i]` is an apostrophe (`'` or U+2019) followed by a letter,
/// inside a word; returns its length.
#[inline]
fn inner_apostrophe(h: &[u8], i: usize) -> usize {
    let len = if h[i] == b'\'' {
        1
    } else if h.get(i..i + 3) == Some(b"\xe2\x80\x99") {
        3
    } else {
        return 0;
    };
    match h.get(i + len) {
        Some(b) if b.is_ascii_alphabetic() => len,
        _ => 0,
    }
}

/// The end of the token starting at `i`: letters, digits, `_`, non-ASCII
/// letters, and inner hyphens and apostrophes between letters. A final
/// `'s` (possessive) is not part of the token.
#[inline]
fn token_end(h: &[u8], i: usize) -> usize {
    // Fast path: ASCII letters, digits and `_`.
    let mut j = i;
    while j < h.len() && ASCII_TOK[usize::from(h[j])] {
        j += 1;
    }
    match h.get(j) {
        Some(&b) if b >= 0x80 || b == b'-' || b == b'\'' => {
            token_end_slow(h, i, j)
        }
        _ => j,
    }
}

/// [`tok_byte`] as a table.
static TOK: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = tok_byte(b as u8);
        b += 1;
    }
    t
};

/// ASCII letters, digits and `_`.
static ASCII_TOK: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

/// Class bits of a byte for [`ascii_token`].
const K_TOK: u8 = 1; // ASCII letter, digit or `_` (`ASCII_TOK`)
const K_LOWER: u8 = 2; // ASCII lower-case letter
const K_DIGIT_US: u8 = 4; // ASCII digit or `_`
const K_LETTER: u8 = 8; // ASCII letter

/// The `K_*` bits of every byte.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        let mut k = 0;
        if c.is_ascii_alphanumeric() || c == b'_' {
            k |= K_TOK;
        }
        if c.is_ascii_lowercase() {
            k |= K_LOWER;
        }
        if c.is_ascii_digit() || c == b'_' {
            k |= K_DIGIT_US;
        }
        if c.is_ascii_alphabetic() {
            k |= K_LETTER;
        }
        t[b] = k;
        b += 1;
    }
    t
};

/// The token at `i` when it is plain ASCII (letters, digits, `_`) and
/// nothing after it can extend it: `(end, classes, letters)`, where
/// `end == token_end(h, i)`, `classes` is the OR of its bytes' `K_*` bits
/// and `letters` counts its ASCII letters. `None` when `token_end` must
/// decide (a non-ASCII byte, a hyphen or an apostrophe follows). One pass
/// instead of a token walk and then walks over the token's bytes.
#[inline]
fn ascii_token(h: &[u8], i: usize) -> Option<(usize, u8, usize)> {
    let mut j = i;
    let mut acc = 0;
    let mut letters = 0;
    while let Some(&b) = h.get(j) {
        let k = CLASS[usize::from(b)];
        if k & K_TOK == 0 {
            break;
        }
        acc |= k;
        letters += usize::from(k & K_LETTER != 0);
        j += 1;
    }
    match h.get(j) {
        Some(&b) if b >= 0x80 || b == b'-' || b == b'\'' => None,
        _ => Some((j, acc, letters)),
    }
}

/// `token_end` past the first byte that is not plain ASCII (`j`).
fn token_end_slow(h: &[u8], i: usize, mut j: usize) -> usize {
    while j < h.len() {
        if punct_at(h, j) > 0 {
            // U+2019 between letters is an apostrophe.
            let a = inner_apostrophe(h, j);
            if a > 0 && !possessive_at(h, j) && j > i {
                j += a;
                continue;
            }
            break;
        }
        let b = h[j];
        let inner = (b == b'-' || b == b'\'')
            && j > i
            && h.get(j + 1).is_some_and(|c| c.is_ascii_alphabetic())
            && !(b == b'\'' && possessive_at(h, j));
        if !tok_byte(b) && !inner {
            break;
        }
        j += 1;
    }
    j
}

/// Whether an apostrophe at `i` starts a possessive `'s` that ends the
/// word.
fn possessive_at(h: &[u8], i: usize) -> bool {
    let len = if h.get(i) == Some(&b'\'') {
        1
    } else if h.get(i..i + 3) == Some(b"\xe2\x80\x99") {
        3
    } else {
        return false;
    };
    matches!(h.get(i + len), Some(b's' | b'S'))
        && h.get(i + len + 1).is_none_or(|&c| !tok_byte(c))
}

/// The length of a possessive at `i` (`'s`, `’s`), or 0.
fn possessive_len(h: &[u8], i: usize) -> usize {
    if !possessive_at(h, i) {
        return 0;
    }
    if h[i] == b'\'' {
        2
    } else {
        4
    }
}

/// The first character of a token: upper-case, lower-case, digit or
/// other (uncased letters, symbols).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Case {
    Upper,
    Lower,
    Digit,
    Other,
}

fn first_case(h: &[u8], i: usize) -> Case {
    let b = h[i];
    if b.is_ascii_uppercase() {
        return Case::Upper;
    }
    if b.is_ascii_lowercase() {
        return Case::Lower;
    }
    if b.is_ascii_digit() {
        return Case::Digit;
    }
    if b < 0x80 {
        return Case::Other;
    }
    let w = match b {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return Case::Other,
    };
    match h.get(i..i + w).and_then(|s| core::str::from_utf8(s).ok()) {
        Some(s) => match s.chars().next() {
            Some(c) if c.is_uppercase() => Case::Upper,
            Some(c) if c.is_lowercase() => Case::Lower,
            _ => Case::Other,
        },
        None => Case::Other,
    }
}

/// Whether a lower-case token is a name particle (`PARTICLES`), without
/// a hash lookup: most lower-case words are checked here.
#[inline]
fn is_particle(w: &[u8]) -> bool {
    // The same words as `PARTICLES` (a test checks), as a `match` that
    // compiles to a few integer compares.
    matches!(
        w,
        b"van"
            | b"von"
            | b"de"
            | b"der"
            | b"den"
            | b"del"
            | b"della"
            | b"dei"
            | b"di"
            | b"da"
            | b"das"
            | b"dos"
            | b"du"
            | b"la"
            | b"le"
            | b"ter"
            | b"ten"
            | b"bin"
            | b"ibn"
            | b"bint"
            | b"al"
            | b"el"
            | b"y"
            | b"zu"
            | b"af"
            | b"and"
            | b"of"
            | b"plc"
            | b"e"
            | b"et"
            | b"und"
    )
}

/// Whether the token `h[s..e]` ends a segment.
fn is_boundary_token(_lex: &Lexicon, h: &[u8], s: usize, e: usize) -> bool {
    if e - s > MAX_TOKEN {
        return true;
    }
    match first_case(h, s) {
        Case::Upper => {
            h[s..e].iter().any(|b| b.is_ascii_digit() || *b == b'_')
        }
        Case::Lower => !is_particle(&h[s..e]),
        Case::Digit | Case::Other => true,
    }
}

/// Whether `w` is two or more capitals and a plural `s` (`IDs`, `URLs`).
fn plural_acronym(w: &[u8]) -> bool {
    w.len() >= 3
        && w.ends_with(b"s")
        && w[..w.len() - 1].iter().all(u8::is_ascii_uppercase)
}

/// Bytes that may sit between the tokens of a segment.
#[inline]
fn glue_byte(b: u8) -> bool {
    matches!(b, b' ' | b'.' | b',' | b'&' | b'\'' | b'-')
}

/// Whether the byte at `i` joins the tokens of a segment: a glue byte,
/// but a comma only before a space (`a,b` is a CSV separator).
#[inline]
fn glue_at(h: &[u8], i: usize) -> bool {
    let b = h[i];
    glue_byte(b) && (b != b',' || h.get(i + 1) == Some(&b' '))
}

/// The start of the token that ends at `i` (walking left over token
/// bytes, at most `MAX_TOKEN + 1`).
fn token_start_before(h: &[u8], i: usize) -> usize {
    let mut j = i;
    while j > 0 && i - j <= MAX_TOKEN {
        let b = h[j - 1];
        // An ASCII letter, digit or `_` is a token byte and ends no
        // punctuation (those end in a byte >= 0x80): the common case.
        if b.is_ascii_alphanumeric() || b == b'_' {
            j -= 1;
            continue;
        }
        if punct_before(h, j) > 0 {
            break;
        }
        let inner = (b == b'-' || b == b'\'')
            && j >= 2
            && j < i
            && h[j - 2].is_ascii_alphabetic();
        if !tok_byte(b) && !inner {
            break;
        }
        j -= 1;
    }
    j
}

/// The segment around the capitalised token at `u`, or `None` if it is
/// longer than `SEG_MAX` (then the second value is where to go on).
fn segment(
    lex: &Lexicon,
    h: &[u8],
    u: usize,
) -> Result<(usize, usize), usize> {
    // Left: the nearest boundary before u.
    let mut i = u;
    let start = loop {
        if u - i > SEG_MAX {
            break None;
        }
        if i == 0 {
            break Some(0);
        }
        if punct_before(h, i) > 0 {
            break Some(i);
        }
        let b = h[i - 1];
        if glue_at(h, i - 1) {
            i -= 1;
            continue;
        }
        if tok_byte(b) {
            let j = token_start_before(h, i);
            if is_boundary_token(lex, h, j, i) {
                break Some(i);
            }
            i = j;
            continue;
        }
        break Some(i);
    };
    // Right: the nearest boundary after u.
    let lim = start.map_or(u, |s| s) + SEG_MAX;
    let end = walk_right(lex, h, u, lim);
    match start {
        Some(s) if end - s <= SEG_MAX => Ok((s, end)),
        // Every capital up to the next boundary is in the same too-long
        // segment: go on from there (each byte is walked once).
        _ => Err(walk_right(lex, h, end, usize::MAX).max(u + 1)),
    }
}

/// The nearest segment boundary at or after `j`, or the first token
/// start past `lim`.
fn walk_right(lex: &Lexicon, h: &[u8], mut j: usize, lim: usize) -> usize {
    loop {
        if j >= h.len() || j > lim || punct_at(h, j) > 0 {
            return j;
        }
        let b = h[j];
        if glue_at(h, j) {
            j += 1;
            continue;
        }
        if tok_byte(b) {
            let (e, boundary) = match ascii_token(h, j) {
                // `is_boundary_token` for a plain ASCII token.
                Some((e, acc, _)) if e > j => {
                    let boundary = e - j > MAX_TOKEN
                        || if b.is_ascii_uppercase() {
                            acc & K_DIGIT_US != 0
                        } else if b.is_ascii_lowercase() {
                            !is_particle(&h[j..e])
                        } else {
                            true
                        };
                    (e, boundary)
                }
                _ => {
                    let e = token_end(h, j);
                    (e, is_boundary_token(lex, h, j, e))
                }
            };
            if boundary {
                return j;
            }
            j = e.max(j + 1);
            continue;
        }
        return j;
    }
}

// ---------------------------------------------------------------------
// Segments and chains

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ItemKind {
    Word,
    Comma,
    And,
}

#[derive(Clone, Copy, Debug)]
struct Item {
    kind: ItemKind,
    s: usize,
    /// End of the word (before a possessive).
    e: usize,
    info: Info,
    /// All letters upper-case (and more than one of them).
    caps: bool,
    /// A single letter (an initial).
    initial: bool,
    /// Followed by `.`.
    dot: bool,
    /// Followed by a possessive `'s`.
    poss: bool,
    /// Lower-case particle (van, de, ...).
    particle: bool,
    /// Starts a sentence.
    sentence_start: bool,
}

const NO_ITEM: Item = Item {
    kind: ItemKind::Comma,
    s: 0,
    e: 0,
    info: Info { given: 0, surname: 0, place: 0, word: 0, flags: 0 },
    caps: false,
    initial: false,
    dot: false,
    poss: false,
    particle: false,
    sentence_start: false,
};

/// A finding of the name detectors, before it becomes a `Finding`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct NameHit {
    pub kind: NameKind,
    pub start: usize,
    pub end: usize,
    pub score: f32,
}

/// Which name detector found a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameKind {
    Person,
    Location,
    Organization,
}

/// Whether the text before `s` (ignoring spaces and quotes) ends a
/// sentence or a line, or is the start of the haystack.
fn sentence_start_at(h: &[u8], s: usize) -> bool {
    let mut i = s;
    let lo = s.saturating_sub(12);
    while i > lo {
        let p = punct_before(h, i);
        if p > 0 {
            // Opening quotes and dashes: keep looking; bullets: a start.
            let c = h[i - 1];
            if p == 3 && matches!(c, 0x9c | 0x98 | 0x93 | 0x94) {
                i -= p;
                continue;
            }
            return true;
        }
        match h[i - 1] {
            b' ' | b'"' | b'(' | b'\'' | b'*' | b'-' | b'#' | b'>' => i -= 1,
            b'.' | b'!' | b'?' | b'\n' | b'\r' | b'\t' | b':' | b';'
            | b'|' => return true,
            _ => return false,
        }
    }
    i == 0
}

/// The lower-cased words (up to three) just before `s`, within
/// `CUE_WINDOW` bytes, joined by single spaces, into `buf`; returns the
/// length used.
fn words_before(h: &[u8], s: usize, buf: &mut [u8; CUE_WINDOW]) -> usize {
    let lo = s.saturating_sub(CUE_WINDOW);
    let mut i = s;
    // Skip spaces and quotes / commas.
    while i > lo && matches!(h[i - 1], b' ' | b',') {
        i -= 1;
    }
    let end = i;
    let mut words = 0;
    let mut begin = i;
    while i > lo && words < 3 {
        let j = {
            let mut j = i;
            while j > lo
                && (h[j - 1].is_ascii_alphabetic()
                    || h[j - 1] == b'\''
                    || h[j - 1] >= 0x80)
            {
                j -= 1;
            }
            j
        };
        if j == i || (j > 0 && h[j - 1].is_ascii_alphanumeric()) {
            break;
        }
        begin = j;
        words += 1;
        i = j;
        if i > lo && h[i - 1] == b' ' {
            i -= 1;
        } else {
            break;
        }
    }
    let src = &h[begin..end];
    let n = src.len().min(CUE_WINDOW);
    let src = &src[src.len() - n..];
    let mut k = 0;
    let mut space = false;
    for &b in src {
        if b == b' ' || b == b'\n' || b == b'\t' {
            space = k > 0;
            continue;
        }
        if space && k < buf.len() {
            buf[k] = b' ';
            k += 1;
        }
        space = false;
        if k < buf.len() {
            buf[k] = b.to_ascii_lowercase();
            k += 1;
        }
    }
    k
}

/// Whether the word at `u` is a capitalised compound whose second part
/// is lower case (`Self-enabling`, `User-centric`, `Re-contextualized`):
/// a sentence- or title-initial compound, not a name (double-barrelled
/// names capitalise both parts: `Smith-Jones`, `Jean-Pierre`).
fn lower_compound(h: &[u8], u: usize) -> bool {
    let mut i = u + 1;
    while i < h.len() && i - u < 24 && h[i].is_ascii_lowercase() {
        i += 1;
    }
    if i >= h.len() || h[i] != b'-' {
        return false;
    }
    let tail = &h[i + 1..h.len().min(i + 4)];
    tail.len() == 3 && tail.iter().all(u8::is_ascii_lowercase)
}

/// Whether the compound at `u` (a `lower_compound`) is a region and
/// `-based`, `-born` or `-headquartered` ("California-based"): the
/// region is a place.
fn region_compound(lex: &Lexicon, h: &[u8], u: usize) -> bool {
    let Some(hy) = h[u..].iter().take(25).position(|&c| c == b'-') else {
        return false;
    };
    // The compound ends with the letters and digits after the hyphen.
    let tail =
        h[u + hy + 1..].iter().take_while(|c| c.is_ascii_alphanumeric());
    region_hyphen(lex, h, u, u + hy + 1 + tail.count()).is_some()
}

/// When the token `h[s..e]` is a state or region, a hyphen, and `based`,
/// `born` or `headquartered` ("California-based"): the hyphen's offset
/// and what the lexicon knows of the region.
fn region_hyphen(
    lex: &Lexicon,
    h: &[u8],
    s: usize,
    e: usize,
) -> Option<(usize, Info)> {
    let hy = s + h[s..e].iter().position(|&c| c == b'-')?;
    let prefix = lex.get_at(h, s, hy);
    (matches!(&h[hy + 1..e], b"based" | b"born" | b"headquartered")
        && prefix.place >= REGION)
        .then_some((hy, prefix))
}

/// Whether the capital at `u` (after `/`, `+` or `-`) lies in base64 text
/// (image data, an SRI hash, a key): a run of at least 24 bytes of the
/// base64 alphabet around it, within 32 bytes on each side, where the
/// case or digits change inside words at least four times. A path
/// (`/Users/Maria/Documents`) changes neither, so names in paths stay
/// found. Reads at most 32 bytes back (less than the names' context)
/// and 32 ahead, so streams settle as before.
fn in_base64(h: &[u8], u: usize) -> bool {
    let b64 =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    let mut s = u;
    while s > 0 && u - s < 32 && b64(h[s - 1]) {
        s -= 1;
    }
    let mut e = u;
    while e < h.len() && e - u < 32 && b64(h[e]) {
        e += 1;
    }
    if e - s < 24 {
        return false;
    }
    let changes = h[s..e]
        .windows(2)
        .filter(|w| {
            (w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
                || (w[0].is_ascii_alphabetic() && w[1].is_ascii_digit())
                || (w[0].is_ascii_digit() && w[1].is_ascii_alphabetic())
        })
        .count();
    changes >= 4
}

/// The detector proper: finds names in `h` starting at or after `from`.
pub(crate) fn find(h: &[u8], from: usize, out: &mut Vec<NameHit>) {
    let lex = lexicon();
    let from = from.min(h.len());
    let mut done = from;
    let mut block = from;
    let mut items = [NO_ITEM; MAX_ITEMS];
    let mut memo = LexMemo::new(h.len() - from);
    // Long place names found (see `LongPlaces`), also those that start
    // before `from` and reach past it: a window that starts inside one
    // reports none of its parts.
    // A name inside one found ("Republic of the Congo" in "Democratic
    // Republic of the Congo") is none of its own.
    let mut long: Vec<(usize, usize)> = Vec::new();
    let mut long_end = 0;
    for u in from.saturating_sub(LongPlaces::MAX_LEN)..from {
        if u >= long_end
            && (u == 0 || !TOK[usize::from(h[u - 1])])
            && (h[u].is_ascii_uppercase() || (0xc3..=0xed).contains(&h[u]))
        {
            if let Some(e) = lex.long.at(h, u) {
                long_end = e;
                if e > from {
                    long.push((u, e));
                }
            }
        }
    }
    // Bit 63 of the previous block's mask, moved to bit 0.
    let mut carry = 0u64;
    while block < h.len() {
        let raw = upper_starts(h, block);
        // A bit right after a set bit is a capital after an ASCII capital
        // or a non-ASCII byte, both token bytes: the `TOK` test below
        // would drop it. Dropping it here costs two operations per block
        // instead of a loop turn per capital of text in capitals.
        let mut mask = raw & !((raw << 1) | carry);
        carry = raw >> 63;
        while mask != 0 {
            let u = block + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            // A capital inside a token (after a letter, a digit, `_` or
            // any non-ASCII byte, as `token_end` reads tokens) starts no
            // word: a segment is then always found from its own first
            // capital, whatever offset a stream starts at.
            if u > 0 && TOK[usize::from(h[u - 1])] {
                continue;
            }
            // Before `done`: a long name is looked for at every capital
            // that starts a word, whatever segment it falls in, so that
            // any window finds the same ones.
            if let Some(e) = lex.long.at(h, u).filter(|_| u >= long_end) {
                long_end = e;
                if u >= from {
                    out.push(NameHit {
                        kind: NameKind::Location,
                        start: u,
                        end: e,
                        score: 0.85,
                    });
                }
                long.push((u, e));
                done = done.max(e);
                continue;
            }
            if u < done {
                continue;
            }
            if u > 0
                && matches!(h[u - 1], b'/' | b'+' | b'-')
                && in_base64(h, u)
            {
                continue;
            }
            if h[u] >= 0xe3 {
                if let Some((e, kind)) = cjk_name(h, u) {
                    if u >= from {
                        let score =
                            if kind == NameKind::Person { 0.6 } else { 0.7 };
                        out.push(NameHit { kind, start: u, end: e, score });
                    }
                    done = e;
                }
                continue;
            }
            if first_case(h, u) != Case::Upper {
                continue;
            }
            // Most capitals are common words alone ("License", "The"):
            // that test first, then the compound's walk for the rest.
            if lone_common_word(lex, &mut memo, h, u)
                || lower_compound(h, u) && !region_compound(lex, h, u)
            {
                continue;
            }
            match segment(lex, h, u) {
                Ok((s, e)) => {
                    done = e.max(u + 1);
                    let n = items_of(lex, &mut memo, h, s, e, &mut items);
                    // Nothing can come of a segment of plain common words
                    // (no name, place, suffix, title or cue among them):
                    // "Free Software Foundation", "The".
                    let lone_word = items[..n].iter().all(|it| {
                        let i = &it.info;
                        it.kind != ItemKind::Word
                            || ((i.common() || i.flag(STOP))
                                && !i.is_name()
                                && i.place == 0
                                && i.flags & !(STOP | STREET) == 0
                                && !it.particle)
                    });
                    if n > 0 && !lone_word {
                        judge(lex, h, (s, e), &items[..n], from, out);
                    }
                }
                Err(next) => done = next,
            }
        }
        block += 64;
    }
    fields(lex, h, from, out);
    sort_hits(out);
    if !long.is_empty() {
        // A long place name takes the place of every hit it overlaps
        // ("Saint Vincent", "McDonald" in "Heard & McDonald Islands").
        let long = crate::spans::SpanIndex::new(long);
        out.retain(|x| {
            x.kind == NameKind::Location && long.contains(x.start, x.end)
                || !long.overlaps(x.start, x.end)
        });
    }
    if legal_forms(h, out) {
        // A firm joined over "y" may start before `from`: a window that
        // starts inside it reports none of its parts.
        out.retain(|x| x.start >= from);
        sort_hits(out);
    }
}

/// Sorts hits by span; the same span from two paths (a field and a
/// segment) is one hit with the higher score: the scanner's overlap
/// resolution keeps one candidate per span and detector, whichever it
/// meets first.
fn sort_hits(out: &mut Vec<NameHit>) {
    out.sort_by(|a, b| {
        (a.start, a.end, a.kind as u8)
            .cmp(&(b.start, b.end, b.kind as u8))
            .then(b.score.total_cmp(&a.score))
    });
    out.dedup_by(|a, b| {
        a.start == b.start && a.end == b.end && a.kind == b.kind
    });
}

/// Legal forms written after a firm's name that the one-word suffix
/// lexicon cannot hold: several words, a slash, dots inside, lower case
/// (Polish, Spanish, Mexican, Brazilian, Italian, Turkish, French
/// forms). Each starts with the blank before it; where one form begins
/// another, the longer comes first.
const LEGAL_TAILS: &[&[u8]] = &[
    b" Sp. z o.o. Sp.k.",
    b" Sp. z o.o.",
    b" Sp.j.",
    b" Sp.k.",
    b" i syn s.c.",
    b" s.c.",
    b" S. R.L. de C.V.",
    b" S.A. de C.V.",
    b" y Asociados",
    b" y asociados",
    b" & Asociados",
    b" e Hijos",
    b" e Filhos",
    b" e figli",
    b" et Fils",
    b" and Sons",
    b" - ME",
    b" - EI",
    b" S/A",
    b" s.r.l.",
    b" Ltda.",
    b" S.Coop.",
    b" S.Com.",
    b" S.L.N.E",
    b" S.L.L.",
    b" S.L.U.",
    b" S.A.D",
    b" S.A.T.",
    b" S.A.U",
    b" S.C.P",
    b" A.\xc5\x9e.",
    b" Tic.",
    b" San.",
    b" \xc5\x9eti.",
];

/// The end of the legal form that starts at `e` (a blank), if one does.
/// "Ltd." keeps its dot only inside a sentence ("Ltd. and", "Ltd.,").
fn legal_tail_end(h: &[u8], e: usize) -> Option<usize> {
    let rest = h.get(e..)?;
    if rest.first() != Some(&b' ') {
        return None;
    }
    // Most hits are followed by a plain word ("said", "and", "from"):
    // the two bytes after the blank reject them before the list.
    let plausible = matches!(
        (rest.get(1), rest.get(2)),
        (Some(b'S'), Some(b'.' | b'p' | b'/' | b' ' | b'a'))
            | (Some(b'A'), Some(b'.'))
            | (Some(b'T'), Some(b'i'))
            | (Some(b'L'), Some(b't'))
            | (Some(0xc5), Some(0x9e))
            | (Some(b'&' | b'-' | b'i' | b'y' | b'e'), Some(b' '))
            | (Some(b's'), Some(b'.'))
            | (Some(b'e'), Some(b't'))
            | (Some(b'a'), Some(b'n'))
    );
    if !plausible {
        return None;
    }
    for t in LEGAL_TAILS {
        if rest.starts_with(t) {
            let end = e + t.len();
            // A form that ends in a letter must end the word.
            if t[t.len() - 1] != b'.'
                && h.get(end).is_some_and(|&c| tok_byte(c))
            {
                continue;
            }
            return Some(end);
        }
    }
    if rest.starts_with(b" Ltd.") {
        let after = &rest[5..];
        // The dot is the form's, not a full stop, before a comma, a
        // lower-case word, or a full stop of its own ("at Acme Ltd..").
        let inside = matches!(after.first(), Some(b',' | b'.'))
            || (after.first() == Some(&b' ')
                && after.get(1).is_some_and(u8::is_ascii_lowercase));
        if inside {
            return Some(e + 5);
        }
    }
    None
}

/// Where a firm whose name ends at `s`'s hit starts when names joined by
/// "y", "e", "i", "&", "and", "et" or "und" come before it ("Iglesias y
/// Galván S.L.", "Coello y Salinas S.Coop."): up to three capitalised
/// words back, the first two joiners may be commas only after one of
/// those ("Tornatore, Mascagni e Virgilio").
fn joined_start(h: &[u8], mut s: usize) -> usize {
    const JOINERS: [&[u8]; 7] =
        [b" y ", b" e ", b" i ", b" & ", b" and ", b" et ", b" und "];
    for joined in 0..3 {
        let before = &h[..s];
        let n = match JOINERS.iter().find(|j| before.ends_with(j)) {
            Some(j) => j.len(),
            None if joined > 0 && before.ends_with(b", ") => 2,
            None => break,
        };
        let ws = token_start_before(h, s - n);
        if ws == s - n || first_case(h, ws) != Case::Upper {
            break;
        }
        s = ws;
    }
    s
}

/// Firms by their written legal form: a hit followed by a form of
/// [`LEGAL_TAILS`] (or whose last word begins one: "Grupo Busquets
/// S.Coop.") becomes an organisation that ends after the form, and a
/// firm so found or ending in a dotted form ("Galván S.L.") takes in the
/// names joined before it. The hits inside it go. Returns whether any
/// hit changed. Reads at most 40 bytes past a hit's segment and 3 words
/// before it, within [`HOLD`] and [`LEFT`].
fn legal_forms(h: &[u8], out: &mut Vec<NameHit>) -> bool {
    let mut grown: Vec<(usize, usize)> = Vec::new();
    for hit in out.iter_mut() {
        // A hit whose last word begins a form ends before a dot ("Grupo
        // Busquets S.Coop", "Manço Tic") or with one ("KRGP S.L.").
        let dot_near = hit.end > hit.start
            && (h.get(hit.end) == Some(&b'.') || h[hit.end - 1] == b'.');
        let last_blank = if dot_near {
            h[hit.start..hit.end]
                .iter()
                .rposition(|&c| c == b' ')
                .map(|p| hit.start + p)
        } else {
            None
        };
        let mut end = [Some(hit.end), last_blank]
            .into_iter()
            .flatten()
            .filter_map(|at| legal_tail_end(h, at))
            .find(|&e| e > hit.end);
        if let Some(mut e) = end {
            // A second form after the first ("y asociados S.Coop.").
            while let Some(e2) = legal_tail_end(h, e) {
                e = e2;
            }
            end = Some(e);
        }
        let dotted = hit.kind == NameKind::Organization
            && h[..hit.end].ends_with(b".")
            && last_blank
                .is_some_and(|b| h[b + 1..hit.end - 1].contains(&b'.'));
        let Some(e) = end.or(dotted.then_some(hit.end)) else {
            continue;
        };
        let s = joined_start(h, hit.start);
        if e - s > SEG_MAX || (s == hit.start && e == hit.end && dotted) {
            continue;
        }
        *hit = NameHit {
            kind: NameKind::Organization,
            start: s,
            end: e,
            score: hit.score.max(0.8),
        };
        grown.push((s, e));
    }
    if grown.is_empty() {
        return false;
    }
    let grown = crate::spans::SpanIndex::new(grown);
    out.retain(|x| {
        x.kind == NameKind::Organization && grown.contains(x.start, x.end)
            || !grown.overlaps(x.start, x.end)
    });
    true
}

/// The fast path for the most common capitalised word in prose: a
/// common English word that is no name, place, suffix, title or cue
/// ("The", "However", "Licensor"), an initial, or an unknown word in
/// capitals ("GNU"). No segment needs to start there: a
/// segment of such words alone yields nothing, and a segment with some
/// other word is found (whole, the same) from that word's capital. So
/// one lookup decides, without a segment walk.
#[inline]
fn lone_common_word(
    lex: &Lexicon,
    memo: &mut LexMemo,
    h: &[u8],
    u: usize,
) -> bool {
    // The ASCII letters from `u`; the word is the token (`token_end`)
    // only if no other token byte follows them.
    let (te, lower, key) = match ascii_letters16(h, u) {
        Some((n, lower, key)) => (u + n, lower, Some(key)),
        None => {
            let mut te = u;
            let mut lower = false;
            while let Some(&b) = h.get(te) {
                if !b.is_ascii_alphabetic() {
                    break;
                }
                lower |= b.is_ascii_lowercase();
                te += 1;
            }
            (te, lower, None)
        }
    };
    match h.get(te) {
        Some(&b) if ASCII_TOK[usize::from(b)] => return false,
        Some(&b) if b >= 0x80 || b == b'-' || b == b'\'' => {
            let end = token_end(h, u);
            if end != te {
                // "Front-Cover", "NON-INFRINGING": a compound of common
                // words in no list is a common word (as `items_of` reads
                // it), alone like one.
                let word = &h[u..end];
                return b == b'-'
                    && word
                        .iter()
                        .all(|&c| c.is_ascii_alphabetic() || c == b'-')
                    && lex.get(word).unknown()
                    && compound_level(lex, word) > 0;
            }
        }
        _ => {}
    }
    if te == u || te - u > 16 {
        return false;
    }
    // An initial ("C", "J.") yields nothing alone.
    if te - u == 1 {
        return true;
    }
    let Some(key) = key.or_else(|| key_at(h, u, te)) else {
        return false;
    };
    let i = memo.get(lex, key);
    // Capitals only ("GNU", "AS IS"), in no list: no name alone, and a
    // chain needs a given name and a surname for capitals. Titles, cues,
    // particles and place prefixes only matter before a name, whose own
    // capital finds the segment.
    let caps = !lower;
    !i.is_name()
        && i.place == 0
        && !i.flag(SUFFIX | PLACE_HEAD)
        && (i.common() || i.flags != 0 || (caps && i.unknown()))
}

/// A direct-mapped memo of lexicon lookups by key for one call of
/// [`find`]. Prose repeats its capitalised words ("The", "License",
/// "You"), and the lexicon's table is megabytes: a hit is a multiply and
/// one compare in a few kilobytes instead of a probe that misses the
/// cache. Only haystacks of [`LexMemo::MIN_LEN`] bytes or more get one
/// (zeroing it would cost more than it saves on a short prompt).
struct LexMemo {
    keys: Vec<u128>,
    infos: Vec<Info>,
}

impl LexMemo {
    const SLOTS: usize = 2048;
    const MIN_LEN: usize = 1 << 14;

    fn new(len: usize) -> LexMemo {
        let n = if len >= Self::MIN_LEN { Self::SLOTS } else { 0 };
        LexMemo { keys: vec![0; n], infos: vec![Info::default(); n] }
    }

    /// What the lexicon knows of the word with key `key` (a word of a
    /// non-empty token: never 0).
    #[inline]
    fn get(&mut self, lex: &Lexicon, key: u128) -> Info {
        let x = (key as u64) ^ ((key >> 64) as u64).rotate_left(29);
        let slot = (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 53) as usize;
        match (self.keys.get_mut(slot), self.infos.get_mut(slot)) {
            (Some(k), Some(i)) => {
                if *k != key {
                    *k = key;
                    *i = lex.get_key(key);
                }
                *i
            }
            _ => lex.get_key(key),
        }
    }

    /// [`Lexicon::get_at`] through the memo.
    #[inline]
    fn get_at(&mut self, lex: &Lexicon, h: &[u8], s: usize, e: usize) -> Info {
        match key_at(h, s, e) {
            Some(k) => self.get(lex, k),
            None => lex.get(&h[s..e]),
        }
    }
}

/// The run of ASCII letters at `h[u..]` when it is shorter than 16
/// bytes and 16 bytes can be read there: its length, whether it has a
/// lower-case letter, and the lexicon key of the word ([`key_at`] of
/// it). Two 8-byte words classified in SWAR instead of a loop per byte.
#[inline]
fn ascii_letters16(h: &[u8], u: usize) -> Option<(usize, bool, u128)> {
    const L: u64 = 0x0101_0101_0101_0101;
    const H: u64 = 0x8080_8080_8080_8080;
    let b: [u8; 16] = h.get(u..u + 16)?.try_into().ok()?;
    let w = u128::from_le_bytes(b);
    // Per byte, the high bit: an ASCII letter (case folded by setting
    // 0x20: `@[\\]^_` fold to bytes above `z` or below `a`).
    let letters = |w: u64| {
        let x = (w | 0x2020_2020_2020_2020) & !H;
        let ge_a = (x + L * (0x80 - u64::from(b'a'))) & H;
        let gt_z = (x + L * (0x80 - u64::from(b'z') - 1)) & H;
        ge_a & !gt_z & !w & H
    };
    let (lo, hi) = (w as u64, (w >> 64) as u64);
    let (al, ah) = (letters(lo), letters(hi));
    let n = if al == H {
        8 + (!ah & H).trailing_zeros() as usize / 8
    } else {
        (!al & H).trailing_zeros() as usize / 8
    };
    if n >= 16 {
        return None;
    }
    let keep = KEY_MASKS[n];
    let alpha = (u128::from(ah) << 64 | u128::from(al)) & keep;
    // Bit 5 moved to bit 7 of each byte: set for lower-case letters.
    let lower = alpha & (w << 2) != 0;
    // Letters lower-cased: bit 5 set (the high bit moved down by 2).
    let key = (w | (alpha >> 2)) & keep;
    Some((n, lower, key))
}

/// Bit mask of the bytes in the 64 at `block` that may start a
/// capitalised word (see [`crate::trigger::upper_start_mask`], SSE2 on
/// x86_64); the last, partial block padded with zeros (no capitals).
#[inline]
fn upper_starts(h: &[u8], block: usize) -> u64 {
    let mut pad = [0u8; 64];
    let b64: &[u8; 64] = match h.get(block..block + 64) {
        Some(b) => b.try_into().unwrap_or(&pad),
        None => {
            let rest = h.get(block..).unwrap_or_default();
            pad[..rest.len()].copy_from_slice(rest);
            &pad
        }
    };
    crate::trigger::upper_start_mask(b64)
}

/// Splits the segment `h[s..e]` into items; returns how many (0 if it
/// has more than `MAX_ITEMS`).
fn items_of(
    lex: &Lexicon,
    memo: &mut LexMemo,
    h: &[u8],
    s: usize,
    e: usize,
    items: &mut [Item; MAX_ITEMS],
) -> usize {
    let mut n = 0;
    let mut i = s;
    let mut sentence: Option<bool> = None;
    while i < e {
        let b = h[i];
        let dash = b == b'-' && i > s && h[i - 1] == b' ';
        if b == b',' || b == b'&' || dash {
            if n == MAX_ITEMS {
                return 0;
            }
            let kind = if b == b'&' { ItemKind::And } else { ItemKind::Comma };
            items[n] = Item { kind, s: i, e: i + 1, ..NO_ITEM };
            n += 1;
            i += 1;
            continue;
        }
        if !tok_byte(b) || punct_at(h, i) > 0 {
            i += 1;
            continue;
        }
        // "Juri Stiebitz B.A.": a degree written with dots after a name
        // is one post-nominal item, its last dot included (as initials
        // it would end the name before it).
        let after_word = i > 0
            && h[i - 1] == b' '
            && match n {
                0 => false,
                _ if items[n - 1].kind == ItemKind::Word => {
                    !items[n - 1].particle && items[n - 1].e + 1 == i
                }
                // "Jane Doe, M.Sc.": not a name of its own either.
                _ => {
                    n > 1
                        && items[n - 1].kind == ItemKind::Comma
                        && items[n - 1].e + 1 == i
                        && items[n - 2].kind == ItemKind::Word
                }
            };
        if let Some(len) =
            after_word.then(|| dotted_degree_len(h, i)).flatten()
        {
            if n == MAX_ITEMS {
                return 0;
            }
            items[n] = Item {
                kind: ItemKind::Word,
                s: i,
                e: i + len,
                info: Info { flags: POSTNOM, ..Info::default() },
                ..NO_ITEM
            };
            n += 1;
            i += len;
            continue;
        }
        let (te, lower, caps) = match ascii_token(h, i) {
            // A plain ASCII token within the segment: its case and
            // letters from the one pass.
            Some((te, acc, letters)) if te > i && te <= e => {
                (te, b.is_ascii_lowercase(), letters > 1 && acc & K_LOWER == 0)
            }
            _ => {
                let te = token_end(h, i).min(e).max(i + 1);
                let word = &h[i..te];
                let letters =
                    word.iter().filter(|c| c.is_ascii_alphabetic()).count();
                let caps = letters > 1
                    && word.iter().all(|c| !c.is_ascii_lowercase())
                    && word.iter().all(|c| *c < 0x80);
                (te, first_case(h, i) == Case::Lower, caps)
            }
        };
        // A plural acronym ("patient IDs", "the PDFs") reads as one.
        let caps = caps || plural_acronym(&h[i..te]);
        let sentence_start =
            *sentence.get_or_insert_with(|| sentence_start_at(h, i));
        let word = &h[i..te];
        let mut info = memo.get_at(lex, h, i, te);
        if !info.is_name() && word.iter().any(|&c| c >= 0x80) {
            // "José", "María", "Wikström": the name lists are mostly
            // unaccented (US Census), so a word in none of them is looked
            // up without accents; what the accented word is (the first
            // word of a place, "José C. Paz") stays.
            let bare = lex.get_unaccented(word);
            if info.unknown() {
                info = bare;
            } else {
                info.given = bare.given;
                info.surname = bare.surname;
            }
        }
        if info.unknown() {
            // "Build-Depends", "Standards-Version": a compound of common
            // words is a common word, not an unknown name.
            info.word = compound_level(lex, &h[i..te]);
        }
        let dot = h.get(te) == Some(&b'.');
        let poss = possessive_len(h, te) > 0;
        if n == MAX_ITEMS {
            return 0;
        }
        let kind = if lower
            && matches!(word, b"and" | b"y" | b"e" | b"et" | b"und")
        {
            ItemKind::And
        } else {
            ItemKind::Word
        };
        items[n] = Item {
            kind,
            s: i,
            e: te,
            info,
            caps,
            // "A" and "I" opening a sentence without a dot are the
            // article and the pronoun ("A Cupertino firm").
            initial: te - i == 1
                && !lower
                && !(sentence_start && !dot && matches!(b, b'A' | b'I')),
            dot,
            poss,
            particle: lower,
            sentence_start,
        };
        n += 1;
        // After a word that ends with a dot, the next word starts a
        // sentence, unless the word is an initial, title or suffix.
        sentence = Some(
            dot && !(te - i == 1 || info.flag(TITLE) || info.flag(SUFFIX))
                && h.get(te + 1).is_none_or(|c| *c == b' ' || *c == b'\n'),
        );
        i = te + possessive_len(h, te);
    }
    n
}

/// Judges one segment's items, pushing hits that start at or after
/// `from`.
/// After the institution word at `k`: when `of` and a capitalised name
/// follow ("University of Michigan", "Bank of New York Mellon"), the
/// index of the name's last word and its end.
fn of_name_end(
    h: &[u8],
    items: &[Item],
    k: usize,
    used: &[bool; MAX_ITEMS],
) -> Option<(usize, usize)> {
    let of = items.get(k + 1)?;
    if !(of.particle && &h[of.s..of.e] == b"of" && of.s == items[k].e + 1) {
        return None;
    }
    let mut last = None;
    for (j, w) in items.iter().enumerate().skip(k + 2) {
        let gap = &h[items[j - 1].e..w.s];
        if w.kind != ItemKind::Word
            || w.particle
            || used[j]
            || w.info.flag(STOP | SUFFIX) && !w.info.flag(BRAND)
            || gap != b" "
            || j > k + 5
        {
            break;
        }
        last = Some((j, w.e));
        if w.dot {
            break;
        }
    }
    last
}

fn judge(
    lex: &Lexicon,
    h: &[u8],
    (seg_start, seg_end): (usize, usize),
    items: &[Item],
    from: usize,
    out: &mut Vec<NameHit>,
) {
    let bits = lex.cue_bits_before(h, seg_start);
    let person_cue = bits & C_PERSON != 0;
    let strong_cue = bits & C_STRONG != 0;
    let place_cue = bits & C_PLACE != 0;
    let employer_cue = bits & C_EMPLOYER != 0;
    // The lower-case word right after the segment.
    let after = {
        let mut a = seg_end;
        while a < h.len() && a < seg_end + 3 && h[a] == b' ' {
            a += 1;
        }
        let mut b = a;
        while b < h.len() && b - a < 16 && h[b].is_ascii_lowercase() {
            b += 1;
        }
        let ends = b >= h.len() || !tok_byte(h[b]);
        if ends {
            &h[a..b]
        } else {
            &h[a..a]
        }
    };
    let after_bits = if after.is_empty() { 0 } else { lex.word_cue(after) };
    let person_after = after_bits & C_PAFTER != 0;
    let place_after = after_bits & C_LAFTER != 0;
    let mut push = |kind, start: usize, end: usize, score: f32| {
        if start >= from && end > start {
            out.push(NameHit { kind, start, end, score });
        }
    };
    let mut used = [false; MAX_ITEMS];
    let word = |k: usize| items.get(k).filter(|it| it.kind == ItemKind::Word);

    // Organisations: words before a legal-form suffix.
    for k in 0..items.len() {
        let it = &items[k];
        // Lower-case `plc` is the one suffix written in lower case.
        let plc = it.particle && &h[it.s..it.e] == b"plc";
        // "Grün-Weiß e.V.", "e. V.": a registered association's form, the
        // `V.` after `e.`; the name ends before the `e.`.
        let ev = k >= 2
            && it.initial
            && it.dot
            && matches!(h[it.s], b'V' | b'G')
            && items[k - 1].kind == ItemKind::And
            && &h[items[k - 1].s..items[k - 1].e] == b"e"
            && h.get(items[k - 1].e) == Some(&b'.')
            && (it.s == items[k - 1].e + 1 || it.s == items[k - 1].e + 2);
        if !ev
            && (it.kind != ItemKind::Word
                || !it.info.flag(SUFFIX)
                || (it.particle && !plc))
        {
            continue;
        }
        // Multi-letter suffixes only when written as such (`Co` needs a
        // capital, `AG`/`AB`/`AS` need capitals).
        let w = &h[it.s..it.e];
        let written_as_form = w.len() > 2 || it.caps || w == b"Co" && it.dot;
        if !(ev || written_as_form) {
            continue;
        }
        // Licence and disclaimer capitals: "PROVIDED AS IS", "THE ENTIRE
        // RISK AS TO", "INCLUDING BUT NOT LIMITED TO". `AS` in a run of
        // capitals is the English word; `LIMITED` after `not` is one.
        let all_caps =
            items.iter().all(|x| x.kind != ItemKind::Word || x.caps);
        let not_before = k > 0
            && items[k - 1].kind == ItemKind::Word
            && h[items[k - 1].s..items[k - 1].e].eq_ignore_ascii_case(b"not");
        if (w == b"AS" && all_caps)
            || (w.eq_ignore_ascii_case(b"limited") && not_before)
        {
            continue;
        }
        // Where the walk back starts: at the form, or before `e.`.
        let top = if ev { k - 1 } else { k };
        let institution = it.info.flag(INSTITUTION);
        // "University of Michigan", "Bank of New York": `of` and the
        // capitalised words after an institution belong to its name.
        let of_end =
            if institution { of_name_end(h, items, k, &used) } else { None };
        if k == 0 && !institution {
            // A legal form leading the segment, a shop's name after it,
            // right after "at" ("working at Inc. Store", "a glitch at LLC
            // Store"), as synthetic profiles print an employer. ("at"
            // ends a segment, so such a suffix is always its first item.)
            let shop = word(1).filter(|n| {
                let gap = &h[it.e..n.s];
                h[..it.s].ends_with(b" at ")
                    && (gap == b" " || gap == b". ")
                    && !(n.caps || n.initial || n.dot)
                    && !n.info.flag(STOP | SUFFIX | TITLE)
            });
            if let Some(n) = shop {
                push(NameKind::Organization, it.s, n.e, 0.75);
                used[0] = true;
                used[1] = true;
            }
            continue;
        }
        // An institution opening the segment names one only with `of`
        // and a name after it; the walk below then starts at it.
        if k == 0 && of_end.is_none() {
            continue;
        }
        // Go back over capitalised words, `and`, `&`, particles.
        let mut a = top;
        while a > 0 {
            let p = &items[a - 1];
            if used[a - 1] || p.info.flag(SUFFIX) {
                break;
            }
            let ok = match p.kind {
                ItemKind::Word => {
                    // A line break inside a sentence ("by the\nFree
                    // Software Foundation") starts no sentence.
                    let wrapped = p.s >= 2
                        && h[p.s - 1] == b'\n'
                        && h[p.s - 2].is_ascii_lowercase()
                        && !h[p.s.saturating_sub(50)..p.s - 1]
                            .contains(&b'\n');
                    let opener = p.sentence_start
                        && !wrapped
                        && p.info.common()
                        && !p.info.is_name();
                    // "St. Mary's Hospital", "Mt. Sinai Hospital".
                    let abbrev = p.dot
                        && !p.initial
                        && !(institution && p.info.flag(PLACE_PREFIX));
                    // "Massachusetts General Hospital", "Royal Bank".
                    let title = p.info.flag(TITLE) && (p.dot || !institution);
                    !(opener || abbrev || title)
                }
                ItemKind::And => a - 1 > 0 && a < top,
                ItemKind::Comma => {
                    // "A, B and C Ltd": a comma between names.
                    a - 1 > 0
                        && items[..a - 1]
                            .iter()
                            .any(|x| x.kind == ItemKind::Word)
                        && items[a..top]
                            .iter()
                            .any(|x| x.kind == ItemKind::And)
                }
            };
            if !ok || top - (a - 1) > 8 {
                break;
            }
            a -= 1;
        }
        // Stop words open no company ("The"), but brands do ("Apple
        // Inc.", "Microsoft Corporation").
        let stop = |i: Info| i.flag(STOP) && !i.flag(BRAND);
        while a < top
            && (items[a].kind != ItemKind::Word
                || items[a].particle
                || stop(items[a].info))
        {
            a += 1;
        }
        // "the Bank of England": the institution may start the name.
        if a == top && of_end.is_none() {
            // A company needs one word: take the one before the suffix
            // even at the start of a sentence ("Company: Orbit AG").
            let p = &items[top - 1];
            if p.kind != ItemKind::Word
                || p.particle
                || stop(p.info)
                || p.info.flag(PCUE)
                || (p.dot && !p.initial)
                || (institution && (p.sentence_start || p.initial))
            {
                continue;
            }
            a = top - 1;
        }
        let mut last = k;
        let mut end = it.e;
        if let Some((j, e)) = of_end {
            (last, end) = (j, e);
        }
        // Include the dot of an abbreviation (Inc., Corp., Co.).
        let abbrev = w.eq_ignore_ascii_case(b"inc")
            || w.eq_ignore_ascii_case(b"corp")
            || w.eq_ignore_ascii_case(b"co");
        if it.dot && (abbrev && !it.caps || ev) {
            end += 1;
        }
        // "Müller GmbH & Co. KG": a limited partnership's form after its
        // general partner's.
        if !institution {
            for form in [&b" & Co. KGaA"[..], b" & Co. KG", b" & Co. OHG"] {
                let next = h.get(end + form.len());
                if h[end..].starts_with(form)
                    && !next.is_some_and(u8::is_ascii_alphanumeric)
                {
                    end += form.len();
                    while items.get(last + 1).is_some_and(|x| x.e <= end) {
                        last += 1;
                    }
                    break;
                }
            }
        }
        // "S.A.", "N.V.": single letters with dots.
        let score = if k == 0 { 0.75 } else { 0.8 };
        push(NameKind::Organization, items[a].s, end, score);
        for u in used.iter_mut().take(last + 1).skip(a) {
            *u = true;
        }
    }
    // "S.A." / "N.V." / "B.V." after a name: initials with dots.
    for k in 1..items.len().saturating_sub(1) {
        let (a, b) = (&items[k], &items[k + 1]);
        if used[k] || !(a.initial && b.initial && a.dot && b.dot) {
            continue;
        }
        let pair = [h[a.s], h[b.s]];
        if !matches!(
            &pair,
            b"SA" | b"NV" | b"BV" | b"AG" | b"SL" | b"AB" | b"AC" | b"SC"
        ) || used[k - 1]
            || word(k - 1).is_none_or(|p| p.initial || p.dot)
        {
            continue;
        }
        let mut st = k - 1;
        // Back over the name's words, not over a particle or a word in
        // capitals before it ("the new CFO of Royer S.A.S.").
        while st > 0
            && word(st - 1).is_some_and(|p| {
                !p.dot && !p.sentence_start && !p.particle && !p.caps
            })
            && k - st < 5
        {
            st -= 1;
        }
        // "S.A.S.", "S.A.R.L.": more letters.
        let (mut end, mut last) = (b.e + 1, k + 1);
        let letter = |j: usize, l: u8, after: usize| {
            items.get(j).is_some_and(|c| {
                c.initial && c.dot && h[c.s] == l && c.s == after
            })
        };
        if pair == *b"SA" && letter(k + 2, b'S', end) {
            (end, last) = (items[k + 2].e + 1, k + 2);
        } else if pair == *b"SA"
            && letter(k + 2, b'R', end)
            && letter(k + 3, b'L', items[k + 2].e + 1)
        {
            (end, last) = (items[k + 3].e + 1, k + 3);
        }
        push(NameKind::Organization, items[st].s, end, 0.8);
        for u in used.iter_mut().take(last + 1).skip(st) {
            *u = true;
        }
    }
    // Partnerships: "Smith, Jones and Brown", "Smith & Sons".
    for k in 0..items.len() {
        if used[k] {
            continue;
        }
        // The last partner may end the sentence ("... and Khanna.",
        // "... & Kuijpers.").
        let amp = items
            .get(k + 1)
            .is_some_and(|x| x.kind == ItemKind::And && h[x.s] == b'&');
        let last = |j: usize| j == k + 4 || amp && j == k + 2;
        let surname = |j: usize| {
            word(j).is_some_and(|w| {
                !w.particle
                    && (!w.dot || last(j))
                    && !w.initial
                    && (w.info.is_surname() || w.info.unknown())
                    && !w.info.flag(STOP | TITLE)
                    && (!w.info.common() || w.info.is_surname())
            })
        };
        let kind_is = |j: usize, kd: ItemKind| {
            items.get(j).is_some_and(|x| x.kind == kd)
        };
        // Three names, at least two of them mainly surnames (or
        // unknown), the third any name ("Golla, Anand and Khanna", "Pau,
        // Ratti and Murty"): given names are people ("John, Paul and
        // Mary"), big places places ("Paris, London and Berlin").
        let strict = |j: usize| {
            surname(j)
                && word(j).is_some_and(|w| {
                    w.info.unknown()
                        || (w.info.given <= w.info.surname
                            && w.info.place < CITY_BIG)
                })
        };
        let any_name = |j: usize| {
            word(j).is_some_and(|w| {
                !w.particle
                    && (!w.dot || last(j))
                    && !w.initial
                    && !w.caps
                    && (w.info.is_name() || w.info.place > 0)
                    && !w.info.flag(STOP | TITLE)
                    && !w.info.common()
            })
        };
        // "Martin et Fils", "Müller und Söhne".
        let family = |j: usize| {
            word(j).is_some_and(|w| {
                matches!(
                    &h[w.s..w.e],
                    b"Sons"
                        | b"Daughters"
                        | b"Brothers"
                        | b"Fils"
                        | b"Fr\xc3\xa8res"
                        | b"S\xc3\xb6hne"
                        | b"Hijos"
                        | b"Figli"
                )
            })
        };
        let three = [k, k + 2, k + 4];
        let partners = || {
            three.iter().filter(|&&j| strict(j)).count() >= 2
                && three.iter().all(|&j| surname(j) || any_name(j))
        };
        if kind_is(k + 1, ItemKind::Comma)
            && kind_is(k + 3, ItemKind::And)
            && !items[k + 2].poss
            && partners()
        {
            push(NameKind::Organization, items[k].s, items[k + 4].e, 0.75);
            for u in used.iter_mut().take(k + 5).skip(k) {
                *u = true;
            }
        } else if family(k)
            && k >= 2
            && kind_is(k - 1, ItemKind::And)
            && surname(k - 2)
            && !used[k - 2]
        {
            // "Smith and Sons", "Kuhn and Blick and Sons".
            let mut a = k - 2;
            while a >= 2
                && (kind_is(a - 1, ItemKind::And)
                    || kind_is(a - 1, ItemKind::Comma))
                && surname(a - 2)
                && !used[a - 2]
                && k - a < 8
            {
                a -= 2;
            }
            push(NameKind::Organization, items[a].s, items[k].e, 0.8);
            for u in used.iter_mut().take(k + 1).skip(a) {
                *u = true;
            }
        } else if amp
            && !(family(k + 2)
                || kind_is(k + 3, ItemKind::And)
                // One word each side: "John Smith & Mary Jones" are people.
                || k > 0 && word(k - 1).is_some_and(|p| p.e + 1 == items[k].s)
                || word(k + 3).is_some_and(|n| n.s == items[k + 2].e + 1))
            && [k, k + 2].iter().all(|&j| {
                (surname(j) || any_name(j))
                    && word(j).is_some_and(|w| !w.caps && (!w.dot || last(j)))
            })
            && [k, k + 2].iter().any(|&j| strict(j))
            && [k, k + 2]
                .iter()
                .any(|&j| word(j).is_some_and(|w| !w.info.common()))
        {
            // Two partners joined by an ampersand: "Smith & Wesson",
            // "Hazenveld & Kuijpers", "Black & Decker". Given names are
            // people ("Tom & Jerry"), two everyday words are none ("Black
            // & White"), capitals are acronyms ("HR & IT").
            push(NameKind::Organization, items[k].s, items[k + 2].e, 0.75);
            for u in used.iter_mut().take(k + 3).skip(k) {
                *u = true;
            }
        }
    }

    // Chains of words for people and places.
    let mut k = 0;
    while k < items.len() {
        if used[k] || items[k].kind != ItemKind::Word || items[k].particle {
            k += 1;
            continue;
        }
        // The chain: words (and particles before a capitalised word)
        // without commas, `and` or sentence ends between them.
        let a = k;
        let mut b = k + 1;
        while b < items.len() && b - a < 7 {
            let prev = &items[b - 1];
            let it = &items[b];
            if used[b] || it.kind != ItemKind::Word || prev.poss {
                break;
            }
            // "St. Laura": the abbreviated Saint does not end a sentence.
            let saint = h[prev.s..prev.e].eq_ignore_ascii_case(b"st");
            if prev.dot && !prev.initial && !prev.info.flag(TITLE) && !saint {
                break;
            }
            if it.particle
                && !items.get(b + 1).is_some_and(|n| {
                    n.kind == ItemKind::Word && (!n.particle || n.s > it.e)
                })
            {
                break;
            }
            b += 1;
        }
        // Trailing particles are not part of it.
        while b > a + 1 && items[b - 1].particle {
            b -= 1;
        }
        let first_cue =
            a == 0 || items[..a].iter().all(|x| x.kind == ItemKind::Comma);
        // A greeting or sign-off that opens the segment, then a comma:
        // "Cheers, Rachita.", "Thanks, Anand", "Hi, Sam". (Never with
        // `first_cue`: the greeting is a word before the chain.)
        let greeting = word(0).filter(|c| {
            a == 2
                && items[1].kind == ItemKind::Comma
                && !items[a].info.flag(PCUE | STOP)
                && c.info.flag(PCUE)
                && !(c.particle || c.dot || c.poss)
        });
        // "Cupertino, California": a name no list knows, a comma, a state
        // or region: a town there (after common words that open the
        // chain: "A Cupertino, California-based firm").
        let comma_after =
            items.get(b).is_some_and(|c| c.kind == ItemKind::Comma);
        let mut t = a;
        while comma_after
            && t + 1 < b
            && items[t].info.common()
            && !items[t].info.is_name()
        {
            t += 1;
        }
        if comma_after && town_of_region(lex, h, items, t, b) {
            let cued = place_cue && first_cue && t == a;
            let score = if cued { 0.85 } else { 0.75 };
            push(NameKind::Location, items[t].s, items[b - 1].e, score);
            k = b;
            continue;
        }
        // "California-based", "Texas-born": the region. (Judged from the
        // word alone, so that a stream starting at it finds it too.)
        if b == a + 1 {
            if let Some(e) = region_before_hyphen(lex, h, &items[a]) {
                push(NameKind::Location, items[a].s, e, 0.8);
                k = b;
                continue;
            }
        }
        let last = b == items.len();
        judge_chain(
            lex,
            h,
            &items[a..b],
            ChainCtx {
                person_cue: person_cue && first_cue || greeting.is_some(),
                strong_cue: strong_cue && first_cue
                    || greeting.is_some_and(|c| c.info.flag(SCUE)),
                place_cue: place_cue && first_cue,
                employer_cue: employer_cue && first_cue,
                person_after: person_after && last,
                place_after: place_after && last,
                weak_after: after == b"from",
            },
            &mut push,
        );
        k = b;
    }
}

/// US state codes, after a town and a comma ("Springfield, IL").
const US_STATE_CODES: &[&[u8; 2]] = &[
    b"AL", b"AK", b"AZ", b"AR", b"CA", b"CO", b"CT", b"DE", b"DC", b"FL",
    b"GA", b"HI", b"ID", b"IL", b"IN", b"IA", b"KS", b"KY", b"LA", b"ME",
    b"MD", b"MA", b"MI", b"MN", b"MS", b"MO", b"MT", b"NE", b"NV", b"NH",
    b"NJ", b"NM", b"NY", b"NC", b"ND", b"OH", b"OK", b"OR", b"PA", b"RI",
    b"SC", b"SD", b"TN", b"TX", b"UT", b"VT", b"VA", b"WA", b"WV", b"WI",
    b"WY",
];

/// The end of the region in a word like `California-based`,
/// `Texas-born`: a state or region, a hyphen, `based`, `born` or
/// `headquartered`.
fn region_before_hyphen(lex: &Lexicon, h: &[u8], w: &Item) -> Option<usize> {
    if w.kind != ItemKind::Word || w.particle || w.caps {
        return None;
    }
    region_hyphen(lex, h, w.s, w.e)
        .filter(|(_, region)| !region.is_name())
        .map(|(hy, _)| hy)
}

/// Whether the chain `items[a..b]` is a town (or a name no list knows),
/// followed by a comma and a state or region: "Cupertino, California",
/// "Cupertino, California-based", "Springfield, IL".
fn town_of_region(
    lex: &Lexicon,
    h: &[u8],
    items: &[Item],
    a: usize,
    b: usize,
) -> bool {
    if b - a > 2
        || !items[a..b].iter().all(|w| {
            (w.info.unknown() || w.info.place > 0 && !w.info.common())
                && w.info.flags == 0
                && !w.particle
                && !w.initial
                && !w.caps
                && !w.dot
        })
    {
        return false;
    }
    let (Some(comma), Some(r)) = (items.get(b), items.get(b + 1)) else {
        return false;
    };
    if comma.kind != ItemKind::Comma
        || comma.s != items[b - 1].e
        || r.kind != ItemKind::Word
        || &h[comma.e..r.s] != b" "
    {
        return false;
    }
    let word = &h[r.s..r.e];
    if r.caps && word.len() == 2 {
        return US_STATE_CODES.iter().any(|c| c[..] == *word);
    }
    r.info.place >= REGION && !r.info.is_name() && !r.particle
        || region_before_hyphen(lex, h, r).is_some()
}

#[derive(Clone, Copy, Default)]
struct ChainCtx {
    person_cue: bool,
    strong_cue: bool,
    place_cue: bool,
    /// "working at", "job at", ... comes before the chain.
    employer_cue: bool,
    /// "said", "from", ... follows the chain.
    person_after: bool,
    /// "office", "branch", ... follows the chain.
    place_after: bool,
    /// The word after is "from" (weaker than "said").
    weak_after: bool,
}

/// Whether a chain that starts with "Saint" names a place: the gazetteer
/// has it ("Saint Helena", "Saint Kitts") or a place cue comes before
/// it ("in Sainte Aimée").
fn saint_place(
    lex: &Lexicon,
    h: &[u8],
    chain: &[Item],
    ctx: ChainCtx,
) -> bool {
    let first = &h[chain[0].s..chain[0].e];
    if chain.len() < 2
        || chain[0].dot
        || !(first.eq_ignore_ascii_case(b"saint")
            || first.eq_ignore_ascii_case(b"sainte")
            || first.eq_ignore_ascii_case(b"sankt"))
    {
        return false;
    }
    if ctx.place_cue && !ctx.person_cue {
        return true;
    }
    (2..=chain.len().min(3)).any(|n| phrase_info(lex, h, chain, n).place > 0)
}

/// The lexicon's entry for the phrase of the first `n` items (at most 3,
/// the longest gazetteer phrase).
fn phrase_info(lex: &Lexicon, h: &[u8], items: &[Item], n: usize) -> Info {
    let toks: [(usize, usize); 3] =
        core::array::from_fn(|i| items.get(i).map_or((0, 0), |w| (w.s, w.e)));
    lex.get_phrase(h, &toks[..n.min(3)])
}

/// Whether an unknown word looks like an English place name.
fn place_shaped(w: &[u8]) -> bool {
    w.len() >= 6
        && w.iter().all(|c| c.is_ascii_alphabetic())
        && PLACE_ENDINGS.iter().any(|e| {
            w.len() > e.len() + 2
                && w[w.len() - e.len()..].eq_ignore_ascii_case(e)
        })
}

/// Whether a word can be the surname (last part) of a name.
fn surnameish(it: &Item) -> bool {
    let i = &it.info;
    if it.initial || it.particle || i.flag(STOP | TITLE | SUFFIX) {
        return false;
    }
    if i.place >= REGION && !i.is_name() {
        return false;
    }
    if i.is_surname() {
        // A common word is a surname only if a frequent one (Young,
        // Brown, King).
        return !i.common() || i.surname_ppm() >= 40 || i.word >= 35;
    }
    if i.is_given() {
        return !i.common() || i.word >= 35;
    }
    !i.common() && i.place < CITY
}

/// Whether `last`, a word listed as never a name (a language, a street
/// type, `Love`, `Best`) or as a title (`King`, `Prince`), is a frequent
/// surname (100 people per million or more) after the given name
/// `first`. A street type after a house
/// number is an address (`12 Mary Lane`).
fn stop_surname(h: &[u8], first: &Item, last: &Item) -> bool {
    let i = &last.info;
    // The token before `first` (and its blank) holds a digit.
    let numbered = || {
        h[..first.s].strip_suffix(b" ").is_some_and(|before| {
            before
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_alphanumeric())
                .any(u8::is_ascii_digit)
        })
    };
    i.flag(STOP | TITLE)
        && !i.flag(SUFFIX | BRAND)
        && i.surname_ppm() >= 100
        && !(last.caps || last.initial || last.particle)
        && !(i.flag(STREET) && numbered())
}

/// Whether a word can be a given name or middle name.
fn givenish(it: &Item, strong_only: bool) -> bool {
    let i = &it.info;
    if it.particle || i.flag(STOP | TITLE | SUFFIX) || !i.is_given() {
        return false;
    }
    !strong_only || !i.common() || i.word >= 35
}

fn judge_chain(
    lex: &Lexicon,
    h: &[u8],
    chain: &[Item],
    ctx: ChainCtx,
    push: &mut dyn FnMut(NameKind, usize, usize, f32),
) {
    if chain.is_empty() {
        return;
    }
    // Cue words in front ("Dear", "Patient", "Thanks"), then titles.
    let mut ctx = ctx;
    let mut t = 0;
    while t + 1 < chain.len()
        && !chain[t].particle
        && chain[t].info.flag(PCUE)
        && !chain[t].dot
        && !chain[t].poss
    {
        ctx.person_cue = true;
        ctx.strong_cue |= chain[t].info.flag(SCUE);
        ctx.place_cue = false;
        t += 1;
    }
    // "CFO of Carr-Perkins": a role and `of` before an employer.
    if t + 2 < chain.len()
        && chain[t].info.flag(ROLE)
        && chain[t + 1].particle
        && h[chain[t + 1].s..chain[t + 1].e].eq_ignore_ascii_case(b"of")
    {
        ctx.employer_cue = true;
        ctx.person_cue = false;
        ctx.place_cue = false;
        t += 2;
    }
    let chain = &chain[t..];
    let mut t = 0;
    while t < chain.len() && chain[t].info.flag(TITLE) && !chain[t].particle {
        t += 1;
    }
    if t == 1 && saint_place(lex, h, chain, ctx) {
        // "Saint Helena", "in Sainte Aimée": a place, not a title.
        t = 0;
    }
    let titled = t > 0 && t < chain.len();
    let words = &chain[t..];
    if words.is_empty() {
        return;
    }
    // "Joyce Mitchell MD": judged as "Joyce Mitchell", a person found so
    // ends after the letters.
    let mut n = words.len();
    while n > 1 && words[n - 1].info.flag(POSTNOM) && !words[n - 1].particle {
        n -= 1;
    }
    if n < words.len() {
        let (inner, outer) = (words[n - 1].e, words[words.len() - 1].e);
        let mut extend = |k: NameKind, s: usize, e: usize, score: f32| {
            let e =
                if k == NameKind::Person && e == inner { outer } else { e };
            push(k, s, e, score)
        };
        judge_chain(lex, h, &chain[..t + n], ctx, &mut extend);
        return;
    }
    let span = |w: &[Item]| (w[0].s, w[w.len() - 1].e);

    // An employer: capitalised words right after "working at", unless a
    // title makes them a person or the first is a country or region.
    // After "works for", "hired by", "contract with" a person may follow
    // as well as a firm: a given name and a surname stay a person.
    // After "joined" a lone given name is a person too ("joined Maria
    // for lunch"; "joined Moulin in March" is a firm).
    let joined =
        preceded_by(h, chain[0].s, &[b"joined ", b"joins ", b"rejoined "]);
    let person_pair = (words.len() >= 2
        && givenish(&words[0], true)
        && surnameish(&words[words.len() - 1])
        && (joined
            || preceded_by(h, chain[0].s, &[b"for ", b"by ", b"with "])))
        || (joined && words.len() == 1 && givenish(&words[0], true));
    if ctx.employer_cue
        && !titled
        && !person_pair
        && words.len() <= 4
        && words[0].info.place < REGION
        && words.iter().all(|w| {
            !(w.initial || w.caps || w.info.flag(STOP | TITLE | PCUE))
        })
    {
        let (s, e) = span(words);
        push(NameKind::Organization, s, e, 0.7);
        return;
    }

    // "Stichting le Luc", "Grupo Bimbo": a word that opens a firm's name.
    if !titled
        && words.len() >= 2
        && words[0].info.flag(ORG_HEAD)
        && words[1..].iter().all(|w| !w.info.flag(STOP) && !w.caps)
    {
        let (s, e) = span(words);
        push(NameKind::Organization, s, e, 0.75);
        return;
    }

    // Places: the longest prefix of up to three words in the gazetteer.
    if !titled {
        for len in (1..=words.len().min(3)).rev() {
            if len == 1 && words.len() > 1 {
                // A single word of a longer chain is judged below.
                break;
            }
            let info = if len == 1 {
                words[0].info
            } else {
                phrase_info(lex, h, words, len)
            };
            if len > 1 && info.flag(FIRM) {
                let (s, e) = span(&words[..len]);
                push(NameKind::Organization, s, e, 0.8);
                if len < words.len() {
                    judge_chain(
                        lex,
                        h,
                        &words[len..],
                        ChainCtx::default(),
                        push,
                    );
                }
                return;
            }
            if info.place == 0 || info.flag(STOP) {
                continue;
            }
            let w = &words[..len];
            let one = &words[0];
            let (s, e) = span(w);
            let name_like = len == 1 && one.info.is_name();
            let strong_place = info.place >= REGION
                || (info.place >= CITY && !info.common() && !name_like);
            if ctx.place_cue
                && !(name_like && ctx.strong_cue)
                && (!info.common() || info.place >= CITY)
            {
                push(NameKind::Location, s, e, 0.85);
                return;
            }
            if strong_place && !(ctx.person_cue && name_like) {
                if len == 1 && one.sentence_start && info.common() {
                    break;
                }
                if one.caps && info.place < COUNTRY {
                    break;
                }
                push(NameKind::Location, s, e, 0.8);
                if len == words.len() {
                    return;
                }
                // The rest of the chain is judged on its own.
                judge_chain(lex, h, &words[len..], ChainCtx::default(), push);
                return;
            }
            if len > 1 {
                push(NameKind::Location, s, e, 0.8);
                return;
            }
        }
        // Place-shaped: "Lake X", "Port X", "East X".
        if words.len() >= 2
            && words.len() <= 3
            && words[0].info.flag(PLACE_PREFIX)
            && !words[0].caps
            && !(words[0].info.is_given() && words[1].info.is_surname())
            && words[1..].iter().all(|w| !w.info.flag(STOP) && !w.initial)
        {
            let (s, e) = span(words);
            push(NameKind::Location, s, e, 0.7);
            return;
        }
    }

    // People.
    let n = words.len();
    if n >= 2 {
        // Drop leading words that cannot start a name ("Yesterday",
        // "Meanwhile", "Customer").
        let mut a = 0;
        while a + 1 < n {
            let w = &words[a];
            // An ambiguous given name that starts a sentence ("Will",
            // "May") starts a name only before a frequent surname.
            let next_surname = words
                .get(a + 1)
                .is_some_and(|x| x.info.surname_ppm() >= 100 && !x.caps);
            let can_start = w.initial
                || givenish(w, false)
                    && !(w.sentence_start
                        && !givenish(w, true)
                        && !titled
                        && !next_surname)
                || (titled && surnameish(w))
                || (w.info.unknown() && !w.caps)
                || (w.info.is_surname() && !w.info.common())
                // "Malte Hansson", "Kuba Nowak": a country's name in some
                // language that is a given name in another, before a
                // surname.
                || (w.info.place == COUNTRY
                    && !w.info.common()
                    && !w.info.is_name()
                    && !w.caps
                    && a + 2 == n
                    && words[a + 1].info.is_surname()
                    && !words[a + 1].info.common()
                    && !words[a + 1].caps);
            if can_start {
                break;
            }
            a += 1;
        }
        let words = &words[a..];
        if words.len() >= 2 {
            let last = &words[words.len() - 1];
            let first = &words[0];
            let middle_ok = words[1..words.len() - 1].iter().all(|w| {
                w.initial || w.particle || surnameish(w) || givenish(w, false)
            });
            let first_given = givenish(first, false);
            let strong = first_given || first.initial || titled;
            let caps = words.iter().any(|w| w.caps);
            let caps_ok = !caps || (first_given && last.info.is_surname());
            let plain = |w: &Item| {
                !w.caps && !w.initial && !w.particle && w.info.unknown()
            };
            // "Michael Lane", "Alicia French": a strong given name before a
            // word listed as never a name that is a frequent surname.
            let listed_surname = words.len() == 2
                && givenish(first, true)
                && stop_surname(h, first, last);
            let good = middle_ok
                && (surnameish(last) || listed_surname)
                && caps_ok
                && (strong
                    || (plain(first)
                        && (last.info.is_surname() || plain(last)))
                    || ctx.person_after
                    || (first.info.is_surname() && !first.info.common())
                    || ctx.person_cue);
            if good {
                let score = if titled || ctx.person_cue || first_given {
                    0.85
                } else {
                    0.7
                };
                push(NameKind::Person, first.s, last.e, score);
                return;
            }
            // Judge each word alone, unless the chain reads like a
            // product or a heading (capitals, listed non-names).
            if words.iter().any(|w| w.caps || w.info.flag(STOP)) {
                return;
            }
            for (i, w) in words.iter().enumerate() {
                let mut c = if i == 0 { ctx } else { ChainCtx::default() };
                if i + 1 == words.len() {
                    c.person_after = ctx.person_after;
                    c.place_after = ctx.place_after;
                    c.weak_after = ctx.weak_after;
                }
                judge_single(w, c, titled && i == 0, h, push);
            }
            return;
        }
        judge_single(&words[0], ctx, titled, h, push);
        return;
    }
    let w = &words[0];
    if ctx.place_cue && !titled && surname_pair(lex, &h[w.s..w.e]) {
        // "a shift at Hurst-Jones": two surnames joined by a hyphen,
        // alone after "at", name a firm; a person's double-barrelled
        // surname comes after a given name or a title.
        push(NameKind::Organization, w.s, w.e, 0.7);
        return;
    }
    judge_single(w, ctx, titled, h, push);
}

/// Whether `text` is two capitalised parts joined by one hyphen, each a
/// surname (a common word only if a frequent surname) or an unknown
/// word, at least one a known surname: `Hurst-Jones`, `MacKenzie-Wheeler`.
fn surname_pair(lex: &Lexicon, text: &[u8]) -> bool {
    let Some(dash) = text.iter().position(|&b| b == b'-') else {
        return false;
    };
    let (a, b) = (&text[..dash], &text[dash + 1..]);
    let part = |p: &[u8]| {
        p.len() >= 2
            && p[0].is_ascii_uppercase()
            && p[1..].iter().any(u8::is_ascii_lowercase)
            && !p.contains(&b'-')
    };
    if !(part(a) && part(b)) {
        return false;
    }
    let (ia, ib) = (lex.get(a), lex.get(b));
    let ok = |i: &Info| {
        i.is_surname() && (!i.common() || i.surname_ppm() >= 100)
            || i.unknown()
    };
    ok(&ia) && ok(&ib) && (ia.is_surname() || ib.is_surname())
}

/// Whether the words right before `s` say that a place follows: a verb
/// of living or travelling and its preposition ("based in", "flew to").
/// Plain "in" and "to" also come before people ("wrote to Smith").
fn strong_place_cue_before(h: &[u8], s: usize) -> bool {
    const CUES: [&[u8]; 12] = [
        b"based in ",
        b"lives in ",
        b"live in ",
        b"living in ",
        b"moved to ",
        b"flew to ",
        b"born in ",
        b"located in ",
        b"travel to ",
        b"trip to ",
        b"relocated to ",
        b"headquartered in ",
    ];
    preceded_by(h, s, &CUES)
}

/// Whether one of `cues` (lower case, ending in a blank) ends right at
/// `s`, in any ASCII case, as whole words.
fn preceded_by(h: &[u8], s: usize, cues: &[&[u8]]) -> bool {
    let before = &h[..s];
    cues.iter().any(|c| {
        before.len() >= c.len()
            && before[before.len() - c.len()..].eq_ignore_ascii_case(c)
            && (before.len() == c.len()
                || !before[before.len() - c.len() - 1].is_ascii_alphanumeric())
    })
}

fn judge_single(
    w: &Item,
    ctx: ChainCtx,
    titled: bool,
    h: &[u8],
    push: &mut dyn FnMut(NameKind, usize, usize, f32),
) {
    let i = &w.info;
    let text = &h[w.s..w.e];
    if w.initial || w.particle || i.flag(STOP | TITLE | SUFFIX) {
        return;
    }
    if titled && (surnameish(w) || givenish(w, false) || i.unknown()) {
        push(NameKind::Person, w.s, w.e, 0.85);
        return;
    }
    if w.caps || glued_to_number(h, w.s, w.e) {
        return;
    }
    // An unknown word is a name from its cues only if it could be one:
    // "Kq noted" in a licence plate `Oo-9638-Kq noted` is not.
    let unknown = i.unknown() && name_shaped(text);
    if ctx.strong_cue && (i.is_name() || !i.common() || i.word >= 20) {
        push(NameKind::Person, w.s, w.e, 0.8);
        return;
    }
    if ctx.place_after
        && (i.place > 0 || unknown || !i.common() && !i.unknown())
        && !i.flag(STOP)
    {
        push(NameKind::Location, w.s, w.e, 0.75);
        return;
    }
    if ctx.person_after
        && (i.is_name() || (unknown && !ctx.weak_after))
        && !i.flag(STOP)
    {
        push(NameKind::Person, w.s, w.e, 0.75);
        return;
    }
    if ctx.place_cue && i.place > 0 && !(i.common() && i.place < CITY) {
        push(NameKind::Location, w.s, w.e, 0.8);
        return;
    }
    if ctx.place_cue && unknown {
        // "in Quentinbury": a capitalised unknown word after a place
        // preposition.
        push(NameKind::Location, w.s, w.e, 0.55);
        return;
    }
    if ctx.place_cue
        && !w.poss
        && i.is_name()
        && !i.common()
        && strong_place_cue_before(h, w.s)
    {
        // "based in Teixeira", "flew to Renault": after a verb of
        // living or travelling, a lone name is a town named after one.
        push(NameKind::Location, w.s, w.e, 0.55);
        return;
    }
    if ctx.person_cue
        && (i.is_name() && (!i.common() || i.word >= 35) || unknown)
    {
        push(NameKind::Person, w.s, w.e, 0.75);
        return;
    }
    if unknown && place_shaped(text) {
        push(NameKind::Location, w.s, w.e, 0.6);
        return;
    }
    if givenish(w, true) && i.place < CITY_BIG {
        push(NameKind::Person, w.s, w.e, 0.7);
        return;
    }
    if i.place >= CITY && !i.common() {
        push(NameKind::Location, w.s, w.e, 0.7);
        return;
    }
    // A surname alone inside a sentence; a surname that is also a word
    // (Smith, Baker) only if it is very frequent.
    let frequent = !i.common() || i.surname_ppm() >= 500;
    if i.is_surname()
        && frequent
        && i.place == 0
        && !i.is_given()
        && (i.surname_ppm() >= 30 || w.poss)
        && !w.sentence_start
    {
        push(NameKind::Person, w.s, w.e, 0.6);
    }
}

/// The highest common-word level of the parts of a hyphenated word if
/// every part is a common English word, else 0.
fn compound_level(lex: &Lexicon, w: &[u8]) -> u8 {
    if !w.contains(&b'-') {
        return 0;
    }
    let mut level = 0;
    for part in w.split(|&b| b == b'-') {
        let i = lex.get(part);
        if part.len() < 2 || !i.common() || i.is_name() || i.place > 0 {
            return 0;
        }
        level = level.max(i.word);
    }
    level
}

/// Whether the word `h[s..e]` is joined by a hyphen to a number on
/// either side (`AB-1234`, `1618-Mk`): part of a code, not a name.
fn glued_to_number(h: &[u8], s: usize, e: usize) -> bool {
    (s >= 2 && h[s - 1] == b'-' && h[s - 2].is_ascii_digit())
        || (h.get(e) == Some(&b'-')
            && h.get(e + 1).is_some_and(u8::is_ascii_digit))
}

/// Whether an unknown word is shaped like a name: three bytes or more
/// with a vowel (or any non-ASCII letter), not `Kq` or `Wn`; not a code
/// identifier (`GetConnectionCredentials`, `PinePhone`: a capital after
/// two lower-case letters, which names only have after a prefix such as
/// `Mac` or `Von`) or a
/// compound with a lower-case word (`NULL-after-freeing`, `SIGPIPE-less`).
fn name_shaped(w: &[u8]) -> bool {
    let vowel = w.iter().any(|b| {
        matches!(
            b.to_ascii_lowercase(),
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
        ) || *b >= 0x80
    });
    const PREFIXES: &[&[u8]] =
        &[b"mac", b"von", b"van", b"del", b"della", b"fitz", b"des", b"ter"];
    // A place ending after the capital is a made-up town ("GayVille",
    // "SanchezBourg", as generators print them), not code.
    let place_end = |rest: &[u8]| {
        rest.eq_ignore_ascii_case(b"bourg")
            || PLACE_ENDINGS.iter().any(|e| rest.eq_ignore_ascii_case(e))
    };
    let camel = (2..w.len()).any(|p| {
        w[p].is_ascii_uppercase()
            && w[p - 1].is_ascii_lowercase()
            && w[p - 2].is_ascii_lowercase()
            && !PREFIXES.iter().any(|x| w[..p].eq_ignore_ascii_case(x))
            && !place_end(&w[p..])
    });
    let lower_part = w.contains(&b'-')
        && w.split(|&b| b == b'-')
            .any(|p| p.len() > 3 && p.iter().all(u8::is_ascii_lowercase));
    w.len() >= 3 && vowel && !camel && !lower_part
}

/// The length of a CJK letter (kana, Han, Hangul syllable) at `i`, or 0.
fn cjk_at(h: &[u8], i: usize) -> usize {
    match (h.get(i), h.get(i + 1), h.get(i + 2)) {
        (Some(0xe3), Some(0x81..=0x83), Some(0x80..=0xbf))
        | (Some(0xe4..=0xe9), Some(0x80..=0xbf), Some(0x80..=0xbf))
        | (Some(0xea..=0xed), Some(0x80..=0xbf), Some(0x80..=0xbf)) => {
            // Hangul syllables are U+AC00..U+D7A3 (EA B0 .. ED 9E).
            if h[i] == 0xea && h[i + 1] < 0xb0
                || h[i] == 0xed && h[i + 1] > 0x9e
            {
                0
            } else {
                3
            }
        }
        _ => 0,
    }
}

/// Words inside a CJK run that make it an organisation (company; the
/// Japanese KK, YK, GK (LLC) and partnerships, associations and
/// foundations; the Korean joint-stock and limited companies; group,
/// bank, university, hospital), as UTF-8.
const CJK_ORG_WORDS: &[&str] = &[
    "公司",
    "株式会社",
    "株式會社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "社団法人",
    "財団法人",
    "주식회사",
    "유한회사",
    "集团",
    "集團",
    "银行",
    "銀行",
    "大学",
    "大學",
    "医院",
    "病院",
    "研究所",
];

/// Last characters that make a CJK run a place: city, ward or district,
/// prefecture or county, village, town, province, township.
const CJK_PLACE_ENDS: &[&str] = &[
    "市", "区", "區", "県", "县", "縣", "村", "町", "省", "郡", "镇", "鎮",
    "乡", "鄉",
];

/// A short run of CJK letters set in Latin-script text, as names are in
/// English prose and forms (`王伟 joined`, `Name: 佐藤 花子`): a person
/// (two to six letters, one space allowed), an organisation (a run of up
/// to twenty holding 公司, 株式会社, 银行, ...) or a place (up to twelve,
/// ending in 市, 区, 县, 村, 町, ...). Returns its end and kind.
fn cjk_name(h: &[u8], u: usize) -> Option<(usize, NameKind)> {
    let mut i = u;
    let mut chars = 0;
    let mut spaces = 0;
    loop {
        let l = cjk_at(h, i);
        if l > 0 {
            chars += 1;
            i += l;
            if chars > 20 {
                return None;
            }
            continue;
        }
        if h.get(i) == Some(&b' ') && spaces == 0 && cjk_at(h, i + 1) > 0 {
            spaces += 1;
            i += 1;
            continue;
        }
        break;
    }
    if chars < 2 {
        return None;
    }
    let run = &h[u..i];
    let has = |w: &str| memchr::memmem::find(run, w.as_bytes()).is_some();
    let kind = if spaces == 0 && CJK_ORG_WORDS.iter().any(|w| has(w)) {
        NameKind::Organization
    } else if spaces == 0
        && chars <= 12
        && CJK_PLACE_ENDS.iter().any(|e| run.ends_with(e.as_bytes()))
    {
        NameKind::Location
    } else if chars <= 6 {
        NameKind::Person
    } else {
        return None;
    };
    let before_ok = u == 0
        || matches!(
            h[u - 1],
            b' ' | b'(' | b':' | b'=' | b'"' | b'|' | b'\n' | b',' | b'\t'
        );
    let after_ok = i >= h.len()
        || matches!(
            h[i],
            b' ' | b','
                | b'('
                | b'|'
                | b';'
                | b'\n'
                | b'.'
                | b')'
                | b'\r'
                | b'"'
                | b'!'
                | b'?'
        );
    if !before_ok || !after_ok {
        return None;
    }
    let lo = u.saturating_sub(24);
    let hi = (i + 24).min(h.len());
    let latin = |r: &[u8]| {
        r.windows(2)
            .any(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic())
    };
    (latin(&h[lo..u]) || latin(&h[i..hi])).then_some((i, kind))
}

// ---------------------------------------------------------------------
// Fields and handles

/// `Name: X` fields and `@handles`.
fn fields(lex: &Lexicon, h: &[u8], from: usize, out: &mut Vec<NameHit>) {
    // A value starts at most four bytes after its colon.
    let lo = from.saturating_sub(8);
    for p in memchr::memchr3_iter(b':', b'=', b'@', &h[lo..]) {
        let p = lo + p;
        if h[p] == b'@' {
            handle(lex, h, p, from, out);
            continue;
        }
        if h[p] == b':' {
            speaker_label(lex, h, p, from, out);
        }
        // The field name: up to three words right before the colon.
        if p == 0 || !h[p - 1].is_ascii_alphabetic() {
            continue;
        }
        let bits = lex.cue_bits_before(h, p);
        let person = bits & C_PFIELD != 0;
        let place = !person && bits & C_LFIELD != 0;
        let org = !person && !place && bits & C_EMPLOYER != 0;
        if !person && !place && !org {
            continue;
        }
        let mut buf = [0u8; CUE_WINDOW];
        let n = words_before(h, p, &mut buf);
        // The field name must start its line or follow a separator.
        let key_start = {
            let mut i = p;
            let mut k = n;
            while i > 0 && k > 0 {
                i -= 1;
                k = k.saturating_sub(1);
            }
            i
        };
        let mut j = key_start;
        while j > 0 && matches!(h[j - 1], b' ' | b'\t') {
            j -= 1;
        }
        if j > 0
            && !matches!(
                h[j - 1],
                b'\n'
                    | b'\r'
                    | b'|'
                    | b','
                    | b';'
                    | b'('
                    | b'['
                    | b'{'
                    | b'"'
                    | b'>'
            )
        {
            // Only in prose: "...and the name: X" is weaker; still a
            // field if capitalised key ("Name:").
            if !h[key_start].is_ascii_uppercase() {
                continue;
            }
        }
        // The value.
        let mut s = p + 1;
        while s < h.len() && s < p + 4 && matches!(h[s], b' ' | b'\t') {
            s += 1;
        }
        if s >= h.len()
            || first_case(h, s) == Case::Lower
            || first_case(h, s) == Case::Digit
        {
            continue;
        }
        if !(tok_byte(h[s]) || h[s] == b'@') || punct_at(h, s) > 0 {
            continue;
        }
        let mut e = s;
        let mut words = 0;
        while e < h.len() && words < 4 {
            let we = {
                let mut x = e;
                while x < h.len()
                    && x - s < 64
                    && (tok_byte(h[x])
                        || matches!(h[x], b'.' | b'-' | b'\'' | b'@'))
                    && punct_at(h, x) == 0
                {
                    x += 1;
                }
                x
            };
            if we == e {
                break;
            }
            if words > 0 && first_case(h, e) == Case::Lower {
                let w = &h[e..we];
                if !lex.get(w).flag(PARTICLE) || w == b"and" {
                    break;
                }
            }
            let mut end_word = we;
            while end_word > e && h[end_word - 1] == b'.' {
                end_word -= 1;
            }
            if words > 0 && place && end_word > e {
                // Places: "Guna, India" stays within the line.
            }
            words += 1;
            let prev_e = e;
            e = end_word;
            // Continue over one space (or ", " for places).
            if h.get(e) == Some(&b' ')
                && h.get(e + 1).is_some_and(|c| tok_byte(*c) && *c != b' ')
            {
                e += 1;
            } else if place
                && h.get(e) == Some(&b',')
                && h.get(e + 1) == Some(&b' ')
                && h.get(e + 2).is_some_and(|c| c.is_ascii_uppercase())
            {
                e += 2;
            } else if org
                && h.get(e..e + 3) == Some(b" & ")
                && h.get(e + 3).is_some_and(|c| c.is_ascii_uppercase())
            {
                // "Employer: Schüler Stiftung & Co. KG".
                e += 3;
            } else {
                let _ = prev_e;
                break;
            }
        }
        while e > s && matches!(h[e - 1], b' ' | b',') {
            e -= 1;
        }
        if e <= s || e - s > 64 {
            continue;
        }
        let value = &h[s..e];
        let info = lex.get(value);
        if info.flag(STOP)
            || (info.common() && !info.is_name() && info.word <= 20)
        {
            continue;
        }
        if value.contains(&b'@') {
            // An e-mail address: the rules find it.
            continue;
        }
        let kind = if person {
            NameKind::Person
        } else if place {
            NameKind::Location
        } else {
            NameKind::Organization
        };
        if s >= from {
            out.push(NameHit { kind, start: s, end: e, score: 0.75 });
        }
    }
}

/// A speaker label: one capitalised word at the start of a line before
/// `: ` or ` : ` (`Christian : ...`, chat and forum exports), if it is a
/// given name, or, with the space before the colon, a word in no list.
fn speaker_label(
    lex: &Lexicon,
    h: &[u8],
    p: usize,
    from: usize,
    out: &mut Vec<NameHit>,
) {
    if h.get(p + 1) != Some(&b' ') {
        return;
    }
    let spaced = p > 0 && h[p - 1] == b' ';
    let we = if spaced { p - 1 } else { p };
    let ws = token_start_before(h, we);
    if ws + 3 > we
        || !(ws == 0 || h[ws - 1] == b'\n')
        || first_case(h, ws) != Case::Upper
        || !h[ws..we].iter().all(u8::is_ascii_alphabetic)
    {
        return;
    }
    let w = &h[ws..we];
    let mut low = [0u8; 16];
    if w.len() > low.len() {
        return;
    }
    low[..w.len()].copy_from_slice(w);
    low[..w.len()].make_ascii_lowercase();
    if lex.word_cue(&low[..w.len()]) & (C_PFIELD | C_LFIELD) != 0 {
        return;
    }
    let i = lex.get(w);
    let given = i.is_given() && (!i.common() || i.word >= 35);
    if (given || (spaced && i.unknown())) && ws >= from {
        out.push(NameHit {
            kind: NameKind::Person,
            start: ws,
            end: we,
            score: 0.7,
        });
    }
}

/// `@handle` (not an e-mail address) containing a name.
fn handle(
    lex: &Lexicon,
    h: &[u8],
    p: usize,
    from: usize,
    out: &mut Vec<NameHit>,
) {
    if p > 0 && (tok_byte(h[p - 1]) || matches!(h[p - 1], b'.' | b'-' | b'+'))
    {
        return;
    }
    let s = p + 1;
    if !h.get(s).is_some_and(|c| c.is_ascii_alphabetic()) {
        return;
    }
    let mut e = s;
    while e < h.len()
        && e - s < 32
        && (h[e].is_ascii_alphanumeric() || h[e] == b'_' || h[e] == b'.')
    {
        e += 1;
    }
    while e > s && h[e - 1] == b'.' {
        e -= 1;
    }
    if e < h.len()
        && (h[e] == b'@'
            || h[e] == b'/'
            || h[e] >= 0x80 && punct_at(h, e) == 0)
    {
        return;
    }
    let t = &h[s..e];
    if t.len() < 3 {
        return;
    }
    // A dotted handle that ends like a domain (`@x.io`, `@acme.com`) is
    // no handle.
    if let Some(dot) = t.iter().rposition(|&c| c == b'.') {
        let last = &t[dot + 1..];
        if matches!(
            last,
            b"com"
                | b"org"
                | b"net"
                | b"io"
                | b"dev"
                | b"ai"
                | b"co"
                | b"uk"
                | b"de"
                | b"fr"
                | b"app"
                | b"edu"
                | b"gov"
                | b"me"
                | b"us"
        ) {
            return;
        }
    }
    // In speaker position (`@handle :` at the start of a post), any
    // handle is a person.
    let mut k = e;
    while k < h.len() && k < e + 2 && h[k] == b' ' {
        k += 1;
    }
    let speaker = h.get(k) == Some(&b':');
    let name_part = |w: &[u8]| {
        if w.len() < 3 {
            return false;
        }
        let i = lex.get(w);
        let frequent =
            i.given.saturating_sub(1) >= 50 || i.surname_ppm() >= 50;
        (i.is_given() || i.surname_ppm() >= 2)
            && (!i.common() || i.word >= 35 || frequent)
            && !i.flag(STOP)
    };
    // Given name and surname written together (`zoehansen`).
    let joined = |w: &[u8]| {
        w.len() >= 7
            && (3..=w.len() - 3)
                .any(|k| lex.get(&w[..k]).is_given() && name_part(&w[k..]))
    };
    // Parts split at `_`, `.`, digits and lower-to-upper case changes.
    let mut found = false;
    let mut a = 0;
    for i in 1..=t.len() {
        let cut = i == t.len()
            || !t[i].is_ascii_alphabetic()
            || (t[i].is_ascii_uppercase() && t[i - 1].is_ascii_lowercase());
        if cut {
            let part = t.get(a..i).unwrap_or(&[]);
            let part_ok = !part.is_empty()
                && part.iter().all(u8::is_ascii_alphabetic)
                && (name_part(part)
                    || (part.len() >= 5
                        && (name_part(&part[1..])
                            || name_part(&part[..part.len() - 1])))
                    || joined(part));
            if part_ok {
                found = true;
                break;
            }
            a = i;
            while a < t.len() && !t[a].is_ascii_alphabetic() {
                a += 1;
            }
        }
    }
    // A dotted path (`@pytest.mark.parametrize`) is a name only if it
    // starts with one (`@shane.smith`).
    if let Some(dot) = t.iter().position(|&c| c == b'.') {
        let first = &t[..dot];
        found = first.iter().all(u8::is_ascii_alphabetic)
            && (name_part(first) || joined(first));
    }
    let letters = t.iter().filter(|c| c.is_ascii_alphabetic()).count();
    if (found || (speaker && letters >= 3)) && s >= from {
        out.push(NameHit {
            kind: NameKind::Person,
            start: s,
            end: e,
            score: 0.75,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(text: &str) -> Vec<(NameKind, &str)> {
        let mut out = Vec::new();
        find(text.as_bytes(), 0, &mut out);
        out.sort_by_key(|h| h.start);
        out.iter().map(|h| (h.kind, &text[h.start..h.end])).collect()
    }

    /// From `hush`'s stream property test: a capital after an invalid
    /// lead byte inside a token started a second, overlapping segment.
    #[test]
    fn regression_capital_after_non_ascii_byte_in_a_token() {
        let h = b"A A\xc0AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIj";
        let mut whole = Vec::new();
        find(h, 0, &mut whole);
        assert!(whole.is_empty(), "{whole:?}");
    }

    /// A tiny deterministic generator for the table tests below.
    fn bytes(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Mostly letters of both cases, some of everything else.
                match x % 8 {
                    0..=2 => b'a' + (x >> 8) as u8 % 26,
                    3..=4 => b'A' + (x >> 8) as u8 % 26,
                    _ => (x >> 16) as u8,
                }
            })
            .collect()
    }

    #[test]
    fn upper_starts_is_its_definition() {
        for seed in 0..300 {
            let h = bytes(seed, 1 + seed as usize % 150);
            let mut block = 0;
            while block < h.len() {
                let mut want = 0u64;
                for (k, &b) in h[block..].iter().take(64).enumerate() {
                    let hit =
                        b.is_ascii_uppercase() || (0xc3..=0xed).contains(&b);
                    want |= u64::from(hit) << k;
                }
                assert_eq!(upper_starts(&h, block), want, "{h:?} at {block}");
                block += 64;
            }
        }
    }

    #[test]
    fn key_at_is_pack_of_the_lower_case_token() {
        for seed in 0..300 {
            let h = bytes(seed, 40);
            for s in 0..h.len() {
                for e in s..=h.len() {
                    let want = pack(&h[s..e].to_ascii_lowercase());
                    assert_eq!(key_at(&h, s, e), want, "{:?}", &h[s..e]);
                }
            }
        }
        assert_eq!(key_at(b"ab", 2, 1), None);
    }

    #[test]
    fn ascii_letters16_is_its_definition() {
        for seed in 0..400 {
            let mut h = bytes(seed, 80);
            if seed % 2 == 1 {
                // Long runs of letters: most other bytes become letters.
                for (k, b) in h.iter_mut().enumerate() {
                    if !b.is_ascii_alphabetic()
                        && (k * 7 + seed as usize) % 9 != 0
                    {
                        *b = b'a' + (k % 26) as u8;
                    }
                }
            }
            for u in 0..h.len() {
                let run = h[u..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphabetic())
                    .count();
                let want = (u + 16 <= h.len() && run < 16).then(|| {
                    let w = &h[u..u + run];
                    let lower = w.iter().any(u8::is_ascii_lowercase);
                    (run, lower, key_at(&h, u, u + run).unwrap_or(0))
                });
                assert_eq!(ascii_letters16(&h, u), want, "{:?}", &h[u..]);
            }
        }
    }

    #[test]
    fn lex_memo_agrees_with_the_lexicon() {
        let lex = lexicon();
        let mut memo = LexMemo::new(LexMemo::MIN_LEN);
        let text = b"The Smith Boston License the THE Boston Zqxv Jones";
        for _ in 0..3 {
            for w in text.split(|&b| b == b' ') {
                let key = pack(&w.to_ascii_lowercase()).unwrap_or(1);
                let want = lex.get(w);
                let got = memo.get(lex, key);
                assert_eq!(
                    (got.given, got.surname, got.place, got.word, got.flags),
                    (
                        want.given,
                        want.surname,
                        want.place,
                        want.word,
                        want.flags
                    ),
                    "{:?}",
                    String::from_utf8_lossy(w)
                );
            }
        }
    }

    #[test]
    fn ascii_token_agrees_with_token_end() {
        for seed in 0..400 {
            let mut h = bytes(seed, 60);
            // Hyphens, apostrophes and spaces between the words.
            for k in (3..h.len()).step_by(7) {
                h[k] = [b'-', b'\'', b' ', b'_', b'7'][k % 5];
            }
            for i in 0..h.len() {
                let Some((e, acc, letters)) = ascii_token(&h, i) else {
                    continue;
                };
                if e == i {
                    continue;
                }
                assert_eq!(e, token_end(&h, i), "{h:?} at {i}");
                let or =
                    h[i..e].iter().fold(0, |a, &b| a | CLASS[usize::from(b)]);
                assert_eq!(acc, or);
                let n = h[i..e].iter().filter(|b| b.is_ascii_alphabetic());
                assert_eq!(letters, n.count());
            }
        }
    }

    #[test]
    fn particle_match_is_the_list() {
        for p in PARTICLES {
            assert!(is_particle(p.as_bytes()), "{p}");
        }
        assert!(!is_particle(b"the") && !is_particle(b"vans"));
    }

    #[test]
    fn accented_names_are_looked_up_without_accents() {
        let lex = lexicon();
        assert!(lex.get_unaccented("José".as_bytes()).is_given());
        assert!(lex.get_unaccented("MARÍA".as_bytes()).is_given());
        assert!(lex.get_unaccented("Renée".as_bytes()).is_given());
        // No base letter: not looked up.
        assert!(lex.get_unaccented("Æsa".as_bytes()).unknown());
        // Polish, Turkish, Czech letters (U+0100..=U+017F).
        for (c, base) in [
            ('Ł', b'l'),
            ('ş', b's'),
            ('ğ', b'g'),
            ('ı', b'i'),
            ('ž', b'z'),
            ('Ő', b'o'),
        ] {
            assert_eq!(LATIN_EXT_A_BASE[c as usize - 0x100], base, "{c}");
        }
        assert_eq!(
            hits("It was reviewed by José Luis Quesada."),
            [(NameKind::Person, "José Luis Quesada")]
        );
    }

    #[test]
    fn a_window_inside_a_joined_firm_reports_none_of_its_parts() {
        let text = "We signed with Iglesias y Galván S.L. yesterday.";
        let whole = hits(text);
        assert_eq!(
            whole,
            [(NameKind::Organization, "Iglesias y Galván S.L.")]
        );
        // A stream window that starts after "Iglesias": the firm was the
        // previous window's; "Galván S.L." alone must not come again.
        let from = text.find("y Galván").unwrap();
        let mut out = Vec::new();
        find(text.as_bytes(), from, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn long_place_names_whole_and_from_any_window() {
        use NameKind::*;
        let text = "She moved from the Democratic Republic of the Congo to \
                    Bosnia & Herzegovina, then to St. Vincent and the \
                    Grenadines and Côte d’Ivoire. Heard Island and McDonald \
                    Islands are far. Er lebt in Bosnien und Herzegowina.";
        assert_eq!(
            hits(text),
            [
                (Location, "Democratic Republic of the Congo"),
                (Location, "Bosnia & Herzegovina"),
                (Location, "St. Vincent and the Grenadines"),
                (Location, "Côte d’Ivoire"),
                (Location, "Heard Island and McDonald Islands"),
                (Location, "Bosnien und Herzegowina"),
            ]
        );
        // A stream window from any offset reports the hits of the whole
        // text that start there or later, and no part of a name that
        // started before it.
        let h = text.as_bytes();
        let mut whole = Vec::new();
        find(h, 0, &mut whole);
        for from in 0..=h.len() {
            let mut out = Vec::new();
            find(h, from, &mut out);
            let want: Vec<_> =
                whole.iter().filter(|x| x.start >= from).copied().collect();
            assert_eq!(out, want, "from {from}");
        }
        // Capitals in the name must be capitals in the text; a heading in
        // capitals is fine.
        assert_eq!(hits("the democratic republic of the congo"), []);
        assert_eq!(
            hits("THE DEMOCRATIC REPUBLIC OF THE CONGO"),
            [(Location, "DEMOCRATIC REPUBLIC OF THE CONGO")]
        );
        // Wrapped lines: blanks may be line breaks and indentation.
        assert_eq!(
            hits("business in the United\n     States of America, any"),
            [(Location, "United\n     States of America")]
        );
        // A name must end a word.
        let got = hits("Visit Bosnia & Herzegovinax.");
        assert!(!got.contains(&(Location, "Bosnia & Herzegovina")), "{got:?}");
    }

    #[test]
    fn basic_people() {
        use NameKind::*;
        assert_eq!(
            hits("I met John Smith yesterday."),
            [(Person, "John Smith")]
        );
        assert_eq!(hits("Dear Will, thanks."), [(Person, "Will")]);
        assert_eq!(hits("Will you come? May I?"), []);
        assert_eq!(
            hits("Acme Corp. hired Dr. Okafor"),
            [(Organization, "Acme Corp."), (Person, "Okafor")]
        );
        assert_eq!(hits("She flew to Paris."), [(Location, "Paris")]);
    }
}

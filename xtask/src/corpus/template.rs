//! A tiny template language: `{key}` placeholders (lower-case key) expand
//! to unlabelled filler or to a labelled value appended through
//! `Doc::entity`. Any other brace text (JSON, code) is copied literally.

use super::doc::{Doc, Label};
use super::filler::{self, Person};
use super::rng::{self, int, pick, Rng};
use super::secrets;
use super::values;

/// State shared by the placeholders of one record, so that e.g. an e-mail
/// address can follow the name it belongs to.
#[derive(Default)]
pub struct Ctx {
    pub person: Person,
}

enum Piece {
    Text(String),
    Ent(Label, String),
}

fn expand(key: &str, rng: &mut Rng, ctx: &mut Ctx) -> Piece {
    use Piece::{Ent, Text};
    let t = |s: &str| Text(s.to_owned());
    match key {
        // ---- people, places, words
        "name" => {
            ctx.person = filler::person(rng);
            Ent(Label::Person, ctx.person.display.clone())
        }
        "first" => {
            ctx.person = filler::person(rng);
            Ent(Label::Person, ctx.person.first.clone())
        }
        "pfirst" => Ent(Label::Person, ctx.person.first.clone()),
        "pname" => Ent(Label::Person, ctx.person.display.clone()),
        "company" => Ent(Label::Organization, filler::company(rng)),
        "city" => Ent(Label::Location, filler::city(rng)),
        "address" => Ent(Label::Address, values::address(rng)),
        "bs" => Text(filler::bs(rng)),
        "catch" => Text(filler::catch_phrase(rng)),
        "prof" => Text(filler::profession(rng)),
        "industry" => Text(filler::industry(rng)),
        "bsnoun" => Text(filler::bs_noun(rng)),
        "noun" => t(filler::noun(rng)),
        "adj" => t(filler::adj(rng)),
        "a_adj" => Text(filler::a_adj(rng)),
        "oname" => Ent(Label::Person, filler::person(rng).display),
        "verb" => t(filler::verb(rng)),
        "brand" => Text(values::ascii_slug(&filler::brand_word(rng))),
        "seg" => Text(filler::url_segment(rng)),
        "weekday" => t(filler::weekday(rng)),
        "month" => t(filler::month(rng)),
        "quarter" => t(pick(rng, &["first", "second", "third", "fourth"])),
        "emoji" => t(pick(
            rng,
            &["🙂", "🙏", "😅", "👍", "🚀", "❤️", "✅", "🎉", "😊"],
        )),
        // ---- ordinary numbers
        "year" => Text(filler::year(rng)),
        "count" => Text(filler::count(rng)),
        "pct" => Text(filler::pct(rng)),
        "price" => Text(filler::price(rng)),
        "section" => Text(filler::section(rng)),
        "time" => Text(filler::clock(rng)),
        "n" => Text(int(rng, 2, 99).to_string()),
        "n3" => Text(int(rng, 100, 999).to_string()),
        "n4" => Text(rng::digits(rng, 4)),
        "port" => Text(int(rng, 1024, 65535).to_string()),
        "status" => t(pick(
            rng,
            &[
                "200", "200", "200", "201", "204", "301", "304", "400", "401",
                "403", "404", "500", "502",
            ],
        )),
        "ms" => Text(int(rng, 1, 2500).to_string()),
        "size" => Text(int(rng, 120, 98_000).to_string()),
        "exp" => Text(format!("{:02}/{}", int(rng, 1, 12), int(rng, 26, 31))),
        "gitdate" => Text(format!(
            "{} {} {} {:02}:{:02}:{:02} {} +0{}00",
            &filler::weekday(rng)[..3],
            &filler::month(rng)[..3],
            int(rng, 1, 28),
            int(rng, 0, 23),
            int(rng, 0, 59),
            int(rng, 0, 59),
            int(rng, 2019, 2025),
            int(rng, 0, 2)
        )),
        "pid" => Text(int(rng, 300, 65_000).to_string()),
        // ---- unlabelled look-alikes
        "uuid" => Text(filler::uuid(rng)),
        "sha" => Text(filler::sha40(rng)),
        "sha7" => Text(filler::sha7(rng)),
        "sha256" => Text(filler::sha256(rng)),
        "hex32" => Text(rng::hex(rng, 32)),
        "hex16" => Text(rng::hex(rng, 16)),
        "ver" => Text(filler::semver(rng)),
        "ts" => Text(filler::timestamp(rng)),
        "epoch" => Text(filler::epoch(rng)),
        "b64" => {
            let n = int(rng, 24, 180) as usize;
            Text(filler::base64_blob(rng, n))
        }
        "sri" => Text(format!("sha512-{}", filler::base64_blob(rng, 64))),
        // ---- labelled values
        "email" => Ent(Label::Email, values::email(rng)),
        "pemail" => {
            let p = ctx.person.clone();
            Ent(Label::Email, values::email_for(rng, &p.first, &p.last))
        }
        "phone" => Ent(Label::Phone, values::phone(rng)),
        "phone_us" => Ent(Label::Phone, values::phone_us(rng)),
        "ssn" => Ent(Label::Ssn, values::ssn(rng)),
        "ssn_ctx" => Ent(Label::Ssn, values::ssn_in_context(rng)),
        "itin" => Ent(Label::UsItin, values::itin(rng)),
        "card" => Ent(Label::CreditCard, values::credit_card(rng)),
        "iban" => Ent(Label::Iban, values::iban(rng)),
        "ip" => Ent(Label::IpAddress, values::ip(rng)),
        "ipv4" => Ent(Label::IpAddress, values::ipv4(rng)),
        "ipv6" => Ent(Label::IpAddress, values::ipv6(rng)),
        "mac" => Ent(Label::MacAddress, values::mac(rng)),
        "url" => Ent(Label::Url, values::url(rng)),
        "dob" => Ent(Label::Date, values::dob(rng)),
        "date" => Ent(Label::Date, values::recent_date(rng)),
        "nino" => Ent(Label::IdNumber, values::nino(rng)),
        "nhs" => Ent(Label::IdNumber, values::nhs(rng)),
        "sin" => Ent(Label::IdNumber, values::sin(rng)),
        "aba" => Ent(Label::IdNumber, values::aba(rng)),
        "passport" => Ent(Label::IdNumber, values::passport(rng)),
        "wallet" => Ent(Label::CryptoWallet, values::wallet(rng)),
        "token" => Ent(Label::Secret, secrets::token(rng)),
        "anthropic" => Ent(Label::Secret, secrets::anthropic(rng)),
        "openai" => Ent(Label::Secret, secrets::openai(rng)),
        "aws_id" => Ent(Label::Secret, secrets::aws_key_id(rng)),
        "aws_secret" => Ent(Label::Secret, secrets::aws_secret(rng)),
        "github" => Ent(Label::Secret, secrets::github(rng)),
        "gitlab" => Ent(Label::Secret, secrets::gitlab(rng)),
        "slack" => Ent(Label::Secret, secrets::slack(rng)),
        "stripe" => Ent(Label::Secret, secrets::stripe(rng)),
        "google" => Ent(Label::Secret, secrets::google(rng)),
        "twilio" => Ent(Label::Secret, secrets::twilio(rng)),
        "sendgrid" => Ent(Label::Secret, secrets::sendgrid(rng)),
        "npm" => Ent(Label::Secret, secrets::npm(rng)),
        "pypi" => Ent(Label::Secret, secrets::pypi(rng)),
        "jwt" => Ent(Label::Secret, secrets::jwt(rng)),
        "pem" => Ent(Label::Secret, secrets::pem(rng)),
        "pem_json" => Ent(Label::Secret, secrets::pem_with(rng, "\\n")),
        "conn" => Ent(Label::Secret, secrets::conn_string(rng)),
        "pw" => Ent(Label::Secret, secrets::generic_value(rng, true)),
        "pwu" => Ent(Label::Secret, secrets::generic_value(rng, false)),
        // a labelled value of any kind, with enough context to be fair
        _ => panic!("unknown template key {{{key}}}"),
    }
}

/// Append `tpl` to `doc`, expanding placeholders.
pub fn fill(doc: &mut Doc, rng: &mut Rng, ctx: &mut Ctx, tpl: &str) {
    let mut rest = tpl;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let key_len = after
            .find(|c: char| {
                !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
            .unwrap_or(after.len());
        if key_len > 0 && after[key_len..].starts_with('}') {
            doc.push(&rest[..open]);
            match expand(&after[..key_len], rng, ctx) {
                Piece::Text(s) => doc.push(&s),
                // Some generated names have no first part ("王伟").
                Piece::Ent(_, s) if s.is_empty() => {}
                Piece::Ent(label, s) => doc.entity(label, &s),
            }
            rest = &after[key_len + 1..];
        } else {
            doc.push(&rest[..=open]);
            rest = after;
        }
    }
    doc.push(rest);
}

/// Pick one template and fill it.
pub fn fill_one(doc: &mut Doc, rng: &mut Rng, ctx: &mut Ctx, tpls: &[&str]) {
    let tpl = pick(rng, tpls);
    fill(doc, rng, ctx, tpl);
}

"""Labelled sets made with Python's Faker, for `cargo xtask eval`: values
in sentences, each with its gold span. Faker is not hush's generator (the
shipped corpora come from `cargo xtask corpus`), so these measure how
hush does on data it was not built around. Fixed seeds; written to the
directory given as the only argument:

  structured.jsonl  e-mail, phone, card, IBAN, IP, MAC, URL, SSN, date (7 locales)
  negatives.jsonl   hashes, UUIDs, ISBNs, SKUs, user agents, prices (no spans)
  ids.jsonl         SSN, ITIN, NINO, SIN, passport, routing, phones, dates, cards
  names.jsonl       one person, place, company or address per sentence
  prose.jsonl       business sentences with several names (7 locales)
  prose_intl.jsonl  the same sentences in 10 more locales (es, it, nl, pt, pl, sv, ja, zh, tr)
  dates.jsonl       1,000 dates in 20 formats
  addresses.jsonl   600 postal addresses from 15 locales
"""
import json
import os
import random
import sys

from faker import Faker

OUT = sys.argv[1]


def write(name, records):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def one(i, kind, pre, value, post, **extra):
    text = pre + value + post
    return dict(id=f"{kind.lower()}-{i}", text=text,
                spans=[dict(start=len(pre), end=len(pre) + len(value), label=kind)],
                **extra)


def templated(template, fill):
    """`{P}`-style slots filled by `fill(key)` -> (value, label)."""
    text, spans, i = "", [], 0
    while i < len(template):
        if template[i] == "{":
            j = template.index("}", i)
            value, label = fill(template[i + 1:j])
            spans.append(dict(start=len(text), end=len(text) + len(value), label=label))
            text += value
            i = j + 1
        else:
            text += template[i]
            i += 1
    return text, spans


def seeded(locs, seed):
    """One Faker per locale, each seeded with `seed`."""
    fakers = {l: Faker(l) for l in locs}
    for f in fakers.values():
        f.seed_instance(seed)
    return fakers


def structured():
    random.seed(7)
    locs = ["en_US", "en_GB", "de_DE", "fr_FR", "en_IN", "en_AU", "en_CA"]
    fakers = seeded(locs, 11)
    us = seeded(["en_US"], 11)["en_US"]
    gen = {
        "EMAIL": lambda f: f.email(),
        "PHONE": lambda f: f.phone_number(),
        "CREDIT_CARD": lambda f: f.credit_card_number(),
        "IBAN": lambda f: f.iban(),
        "IP_ADDRESS": lambda f: random.choice([f.ipv4(), f.ipv6(), f.ipv4_public()]),
        "MAC_ADDRESS": lambda f: f.mac_address(),
        "URL": lambda f: f.url() + random.choice(["", f.uri_path()]),
        "SSN": lambda f: us.ssn(),
        "DATE": lambda f: random.choice([f.date(), f.date(pattern="%d/%m/%Y"),
                                         f.date(pattern="%B %d, %Y"), f.date(pattern="%d %B %Y"),
                                         f.date(pattern="%m/%d/%Y")]),
    }
    ctx = {
        "EMAIL": ["Contact me at {}.", "email: {}", "Send the report to {} please.", "{} wrote:"],
        "PHONE": ["Call me on {} tomorrow.", "Phone: {}", "my number is {}", "Tel. {}"],
        "CREDIT_CARD": ["Card number {} expires soon.", "charged to card {}", "CC: {}"],
        "IBAN": ["Please wire it to IBAN {}.", "Account: {}", "Bank details {} (main account)"],
        "IP_ADDRESS": ["Request from {} was blocked.", "host {} is down", "client_ip={}"],
        "MAC_ADDRESS": ["Device MAC {} joined.", "hw addr {}"],
        "URL": ["See {} for details.", "Link: {}", "I posted it at {}"],
        "SSN": ["SSN: {}", "My social security number is {}.", "ssn {} on file"],
        "DATE": ["Born on {}.", "Date of birth: {}", "The meeting is on {}.", "DOB {}"],
    }
    out, n = [], 0
    for kind in gen:
        for _ in range(300):
            loc = random.choice(locs) if kind != "SSN" else "en_US"
            value = gen[kind](fakers[loc])
            pre, post = random.choice(ctx[kind]).split("{}")
            filler = random.choice(["", "Hi team, ", "Update: ", "FYI - "])
            out.append(one(n, kind, filler + pre, value, post, locale=loc))
            n += 1
    write("structured.jsonl", out)
    f = Faker("en_US")
    f.seed_instance(3)
    gens = [f.uuid4, f.sha1, f.md5, f.sha256, f.isbn13, f.isbn10, f.ean13,
            lambda: f.numerify("v#.##.#"), lambda: f.numerify("Order ########"),
            lambda: f.numerify("INV-######"), f.license_plate,
            lambda: f.bothify("??-####-??"), lambda: f.hexify("^^^^^^^^"),
            lambda: f.numerify("#.#.#.#.#"), lambda: f.numerify("build ##########"),
            f.sentence, f.catch_phrase, f.bs, f.file_path, f.user_agent, f.color,
            f.pricetag, lambda: f.numerify("$###,###.##"),
            lambda: f.numerify("lat ##.######, lon -###.######"), f.ean8,
            lambda: f.numerify("SKU ###-####-###"), lambda: f.numerify("ticket #######")]
    write("negatives.jsonl", [dict(id=f"neg-{i}", text="Value: " + str(random.choice(gens)()) + " noted.",
                                   spans=[]) for i in range(1500)])


def ids():
    random.seed(21)

    def fk(l):
        f = Faker(l)
        f.seed_instance(random.randint(0, 10**6))
        return f
    us, gb, ca, de, fr, inn, au = (fk(l) for l in
                                   ["en_US", "en_GB", "en_CA", "de_DE", "fr_FR", "en_IN", "en_AU"])
    items = []

    def add(kind, value, templates):
        pre, post = random.choice(templates).split("{}")
        items.append(one(len(items), kind, pre, value, post))
    for _ in range(200):
        add("SSN", us.ssn(), ["SSN {}", "social security no. {} on file", "My SSN is {}."])
        add("US_ITIN", us.itin(), ["ITIN: {}", "taxpayer id {} was issued"])
        add("ID_NUMBER", gb.ssn(), ["NI number: {}", "National Insurance {}", "NINO {} is valid"])
        add("ID_NUMBER", ca.ssn(), ["SIN: {}", "Social Insurance Number {}"])
        add("ID_NUMBER", us.passport_number(), ["Passport number: {}", "passport no. {}"])
        add("ID_NUMBER", us.aba(), ["routing number {}", "ABA: {}"])
        add("PHONE", random.choice([gb, ca, de, fr, inn, au, us]).phone_number(),
            ["Phone: {}", "Call {} for help.", "mobile: {}", "reach me on {}", "Contact {}"])
        born = us.date_of_birth()
        add("DATE", random.choice([born.strftime("%d/%m/%Y"), born.strftime("%B %d, %Y"),
                                   born.isoformat(), born.strftime("%d %b %Y"),
                                   born.strftime("%b %d, %Y"), de.date_of_birth().strftime("%d.%m.%Y")]),
            ["DOB: {}", "born on {}", "Date of birth {}"])
        add("CREDIT_CARD", us.credit_card_number(card_type=random.choice(
            ["visa16", "mastercard", "amex", "discover", "jcb16", "diners"])),
            ["card {}", "Card number: {}", "paid with {}"])
        add("IBAN", random.choice([de.iban(), fr.iban()]), ["IBAN: {}", "transfer to {}"])
        add("URL", us.uri(), ["visit {}", "see {} now"])
        add("IP_ADDRESS", us.ipv4_private(), ["from {}", "host {}"])
    write("ids.jsonl", items)


def names():
    random.seed(9)
    locs = ["en_US", "en_GB", "de_DE", "fr_FR", "en_IN", "en_AU", "en_CA"]
    fakers = seeded(locs, 5)
    templates = {
        "PERSON": ["My name is {}.", "Please ask {} about it.", "Dear {},",
                   "{} called yesterday about the invoice.", "Signed, {}", "Patient: {}",
                   "I met {} at the conference."],
        "LOCATION": ["I live in {}.", "She moved to {} last year.", "City: {}",
                     "The office in {} is closed.", "We drove from {} overnight."],
        "ORGANIZATION": ["I work at {}.", "Employer: {}", "He joined {} in March.",
                         "The contract with {} was signed."],
        "ADDRESS": ["Ship it to {}.", "Address: {}", "Our office is at {}.", "Mailing address: {}"],
    }
    gen = {
        "PERSON": lambda f: random.choice([f.name(), f.first_name() + " " + f.last_name()]),
        "LOCATION": lambda f: random.choice([f.city(), f.country()]),
        "ORGANIZATION": lambda f: f.company(),
        "ADDRESS": lambda f: f.address().replace("\n", ", "),
    }
    out = []
    for kind in templates:
        for _ in range(250):
            loc = random.choice(locs)
            pre, post = random.choice(templates[kind]).split("{}")
            out.append(one(len(out), kind, pre, gen[kind](fakers[loc]), post, locale=loc))
    write("names.jsonl", out)


PROSE = [
    "{P} and {P} flew to {L} last week to meet the team at {O}.",
    "Yesterday {P} told me that {P} had moved to {L}.",
    "According to {P}, the quarterly numbers from {O} look strong.",
    "The report was written by {P} ({E}) and reviewed by {P}.",
    "I spoke with {P} this morning; she lives in {L} now.",
    "{P} is the new CFO of {O}, based in {L}.",
    "Thanks, {P}! Forwarding this to {P} at {O}.",
    "Meeting notes: {P}, {P} and {P} attended. Next review in {L}.",
    "Customer {P} called about order 4471-22; callback requested.",
    "We hired {P} from {O} after the interview in {L}.",
]


def prose(name, locs, seed=33):
    random.seed(seed)
    fakers = {l: Faker(l) for l in locs}
    for f in fakers.values():
        f.seed_instance(random.randint(0, 99999))
    out = []
    for n in range(400):
        loc = random.choice(locs)
        f = fakers[loc]

        def fill(key):
            value = {"P": lambda: f.name() if random.random() < 0.5
                     else f.first_name() + " " + f.last_name(),
                     "L": f.city, "O": f.company, "E": f.email}[key]()
            return value, {"P": "PERSON", "L": "LOCATION", "O": "ORGANIZATION", "E": "EMAIL"}[key]
        text, spans = templated(random.choice(PROSE), fill)
        out.append(dict(id=f"prose-{n}", text=text, spans=spans, locale=loc))
    write(name, out)


def dates():
    random.seed(5)
    f = Faker("en_US")
    f.seed_instance(8)
    formats = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%B %d, %Y", "%d %B %Y", "%b %d, %Y",
               "%d %b %Y", "%d-%b-%Y", "%A, %B %d, %Y", "%a, %d %b %Y", "%d.%m.%Y", "%Y/%m/%d",
               "%m-%d-%Y", "%B %Y", "%d %B", "%B %d", "%m/%d/%y", "%Y%m%d", "%b. %d, %Y",
               "%dth of %B %Y"]
    templates = ["DOB: {}", "born on {}", "Date of birth: {}", "appointment on {}",
                 "He was admitted {}.", "Signed {}", "Her birthday is {}.",
                 "The invoice dated {} is overdue.", "Visit scheduled for {} at the clinic."]
    out = []
    for n in range(1000):
        d = f.date_of_birth()
        fmt = random.choice(formats)
        value = d.strftime(fmt)
        if "%dth" in fmt:
            suffix = "th" if 11 <= d.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
            value = value.replace(d.strftime("%d") + "th", str(d.day) + suffix)
        pre, post = random.choice(templates).split("{}")
        out.append(one(n, "DATE", pre, value, post, format=fmt))
    write("dates.jsonl", out)


def addresses():
    random.seed(77)
    locs = ["en_US", "en_GB", "en_AU", "en_CA", "en_IN", "en_NZ", "en_IE", "de_DE", "de_AT",
            "de_CH", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR"]
    templates = ["Ship it to {}.", "Address: {}", "Our office is at {}.", "Mailing address: {}",
                 "Please send the documents to {} by Friday."]
    out = []
    for n in range(600):
        loc = random.choice(locs)
        f = Faker(loc)
        f.seed_instance(n)
        pre, post = random.choice(templates).split("{}")
        out.append(one(n, "ADDRESS", pre, f.address().replace("\n", ", "), post, locale=loc))
    write("addresses.jsonl", out)


structured()
ids()
names()
prose("prose.jsonl", ["en_US", "en_GB", "en_IN", "en_AU", "en_CA", "de_DE", "fr_FR"])
prose("prose_intl.jsonl", ["es_ES", "it_IT", "nl_NL", "pt_BR", "pl_PL", "sv_SE", "ja_JP",
                           "zh_CN", "es_MX", "tr_TR"])
dates()
addresses()

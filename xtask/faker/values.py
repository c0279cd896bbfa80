"""Faker values in 13 locales, one per record, each in a sentence that
names what it is (and phones also without a phone word). Fixed seeds."""
import json
import sys

from faker import Faker

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "en_IN", "en_AU", "en_CA",
           "en_NZ", "en_IE", "es_ES", "it_IT", "nl_NL", "en_PH"]
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%B %d, %Y", "%d %B %Y",
                "%d.%m.%Y", "%b %d, %Y"]


def emit(kind, loc, value, template):
    if value is None:
        return
    text = template.format(v=value)
    sys.stdout.write(json.dumps({"kind": kind, "locale": loc, "value": value,
                                 "text": text}) + "\n")


def maybe(fake, method):
    try:
        return getattr(fake, method)()
    except AttributeError:
        return None  # the locale has no such provider


for loc in LOCALES:
    f = Faker(loc)
    f.seed_instance(11)
    for _ in range(40):
        emit("PHONE", loc, maybe(f, "phone_number"), "Please call me on {v} tomorrow.")
        emit("PHONE_NO_WORD", loc, maybe(f, "phone_number"), "Reach the desk: {v} or visit.")
        # Faker's default e-mail domains are example.org/.net/.com: hush
        # finds person-like handles there and leaves placeholders (user23,
        # john.doe) alone; free-mail domains are real ones.
        emit("EMAIL", loc, f.free_email(), "Send it to {v} please.")
        emit("EMAIL_RESERVED", loc, f.email(), "Send it to {v} please.")
        emit("CREDIT_CARD", loc, f.credit_card_number(), "Card number {v} expires soon.")
        emit("IBAN", loc, f.iban(), "Wire to IBAN {v} today.")
        emit("IP_ADDRESS", loc, f.ipv4(), "Server {v} is down.")
        emit("IP_ADDRESS", loc, f.ipv6(), "Host {v} is down.")
        emit("URL", loc, f.url(), "See {v} for details.")
        emit("MAC_ADDRESS", loc, f.mac_address(), "Device MAC {v} registered.")
        born = f.date_of_birth()
        for fmt in DATE_FORMATS:
            emit("DATE", loc, born.strftime(fmt), "Date of birth: {v}.")
    if loc in ("en_US", "en_GB", "en_AU", "en_CA", "en_IN", "en_IE", "en_NZ", "de_DE", "fr_FR"):
        for _ in range(30):
            emit("STREET_ADDRESS", loc, f.street_address(), "She lives at {v} with her dog.")
            emit("ADDRESS", loc, f.address().replace("\n", ", "), "Ship to {v} by Friday.")
            emit("PERSON", loc, f.name(), "Yesterday {v} called about the invoice.")
            emit("ORGANIZATION", loc, f.company(), "She works for {v} in sales.")
            emit("LOCATION", loc, f.city(), "He moved to {v} last year.")
    if loc == "en_US":
        for _ in range(60):
            emit("SSN", loc, f.ssn(), "SSN {v} on file.")
            emit("US_ITIN", loc, f.itin(), "ITIN {v} on file.")
            emit("US_PASSPORT", loc, f.passport_number(), "Passport number {v} on file.")
            emit("ABA_ROUTING", loc, f.aba(), "Routing number {v} for the transfer.")
    if loc == "en_GB":
        for _ in range(60):
            emit("UK_NINO", loc, f.ssn(), "National insurance number {v} on file.")
    if loc == "en_CA":
        for _ in range(60):
            emit("CA_SIN", loc, f.ssn(), "SIN {v} on file.")

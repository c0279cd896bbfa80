"""Scores hush's findings against the values of values.py: a value is
found whole when one finding covers it, in part when findings only
overlap it. Usage: score.py VALUES FINDINGS MISSED_OUT."""
import collections
import json
import sys

values = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
found = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
assert len(values) == len(found), "one output line per record"
counts = collections.defaultdict(lambda: [0, 0, 0])
missed = collections.defaultdict(list)
for rec, out in zip(values, found):
    text = rec["text"]
    s = text.index(rec["value"])
    e = s + len(rec["value"])
    fs = out["findings"]
    whole = any(f["char_start"] <= s and f["char_end"] >= e for f in fs)
    part = any(f["char_start"] < e and f["char_end"] > s for f in fs)
    per_locale = ("PHONE", "STREET_ADDRESS", "ADDRESS", "PERSON", "ORGANIZATION", "LOCATION")
    key = rec["kind"] + (" " + rec["locale"] if rec["kind"].startswith(per_locale) else "")
    i = 0 if whole else 1 if part else 2
    counts[key][i] += 1
    if i:
        missed[key].append(rec["value"])
print(f"{'kind':<24} {'values':>6} {'whole':>6} {'part':>5} {'none':>5}")
for key in sorted(counts):
    w, p, n = counts[key]
    print(f"{key:<24} {w + p + n:>6} {w:>6} {p:>5} {n:>5}")
json.dump(missed, open(sys.argv[3], "w", encoding="utf-8"), indent=1, ensure_ascii=False)

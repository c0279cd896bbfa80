//! Properties: any sequence of records round-trips and verifies; the
//! line parser and verifier never panic on arbitrary bytes; any changed
//! byte of a log (but the final newline) is detected.

mod common;

use std::collections::BTreeMap;

use common::*;
use hush_audit::{
    search, verify, verify_bytes, AuditLog, Body, CallRecord, Filter,
};
use proptest::prelude::*;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,20}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z\"\\\\\n]{0,6}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(
                    m.into_iter().collect()
                )),
        ]
    })
}

/// A body as the proxy records one: the bytes it sent (compact or pretty
/// JSON, or not JSON at all), its own serialisation, or a parsed value.
fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        json_value()
            .prop_map(|v| Body::from_json_bytes(v.to_string().as_bytes())),
        json_value().prop_map(|v| Body::from_json_bytes(
            serde_json::to_string_pretty(&v).unwrap().as_bytes()
        )),
        prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| Body::from_json_bytes(&b)),
        json_value().prop_map(Body::from),
        // The proxy's own serialisation, spliced into the line unparsed.
        json_value().prop_map(|v| Body::from_serialized_json(
            &serde_json::to_vec(&v).unwrap()
        )),
    ]
}

fn call_record() -> impl Strategy<Value = CallRecord> {
    (
        ".{0,30}",
        proptest::option::of(".{0,10}"),
        proptest::option::of("[a-z0-9-]{1,12}"),
        proptest::option::of(body()),
        proptest::option::of(body()),
        prop::collection::btree_map("[A-Z_]{1,8}", any::<u64>(), 0..3),
        prop::collection::vec(".{0,12}", 0..3),
        (any::<u16>(), any::<u32>(), any::<bool>(), 0.0f64..1e6),
    )
        .prop_map(
            |(
                id,
                key,
                model,
                request,
                response,
                entities,
                decisions,
                (status, retries, trunc, lat),
            )| {
                CallRecord {
                    request_id: id,
                    key_id: key,
                    model,
                    method: "POST".into(),
                    endpoint: "/v1/messages".into(),
                    request,
                    response,
                    response_truncated: trunc,
                    entities: entities.into_iter().collect::<BTreeMap<_, _>>(),
                    decisions,
                    status,
                    retries,
                    latency_ms: lat,
                    ..CallRecord::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_records_round_trip_and_verify(
        recs in prop::collection::vec(call_record(), 0..24),
        rotate in prop_oneof![Just(u64::MAX), 512u64..4096],
        every in 0u64..6,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("audit");
        let log = AuditLog::open(config(&dir, &tmp.path().join("k"), rotate, every)).unwrap();
        let mut seqs = Vec::new();
        for r in &recs {
            seqs.push(log.append_blocking(r.clone()).unwrap().seq);
        }
        let public = log.public_key();
        log.close().unwrap();
        let report = verify(&dir, Some(&public)).unwrap();
        prop_assert!(report.is_ok(), "{}", report);
        prop_assert_eq!(report.calls, recs.len() as u64);
        let hits: Vec<_> = search(&dir, &Filter::default()).unwrap().map(Result::unwrap).collect();
        prop_assert_eq!(hits.iter().map(|h| h.seq).collect::<Vec<_>>(), seqs);
        for (h, r) in hits.iter().zip(&recs) {
            // f64 goes through JSON text; compare it apart.
            prop_assert!((h.record.latency_ms - r.latency_ms).abs() <= r.latency_ms.abs() * 1e-12);
            let mut a = h.record.clone();
            a.latency_ms = r.latency_ms;
            prop_assert_eq!(&a, r);
        }
    }

    #[test]
    fn the_verifier_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = verify_bytes(&bytes, None);
        let key = hush_audit::SigningKey::from_bytes([1; 32]).public_key();
        let _ = verify_bytes(&bytes, Some(&key));
    }

    #[test]
    fn the_verifier_never_panics_on_near_lines(
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let log = sample_log();
        let mut b = log.clone();
        let i = at.index(b.len());
        b[i] = byte;
        b.truncate(cut.index(b.len() + 1).max(i));
        let _ = verify_bytes(&b, None);
    }

    #[test]
    fn any_changed_byte_is_detected(at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let log = sample_log();
        let mut b = log.clone();
        // The final newline is the one byte whose change reads as a torn
        // tail (see docs/AUDIT.md: what verify cannot detect).
        let i = at.index(b.len() - 1);
        b[i] ^= flip;
        let r = verify_bytes(&b, None);
        prop_assert!(r.problem.is_some(), "byte {} changed, not detected: {}", i, r);
    }
}

fn sample_log() -> Vec<u8> {
    use std::sync::OnceLock;
    static LOG: OnceLock<Vec<u8>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = make_log(6, u64::MAX, 3);
        let f = files(&log.dir);
        std::fs::read(&f[0]).unwrap()
    })
    .clone()
}

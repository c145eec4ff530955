//! The report's cause, cost and remedy for each sink of fixtures/causes (one function per sink; its
//! comments say what is expected, and causes_test.go measures the cost classes with allocs/op).
//! Runs the built binary with the real Go toolchain.

mod common;
use common::*;
use serde_json::Value;

struct Report {
    doc: Value,
    text: String,
}

fn report() -> Report {
    let dir = fixture("causes");
    let o = stackify(dir.path(), &["--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let t = stackify(dir.path(), &[]);
    assert_eq!(code(&t), 0, "{}", stderr(&t));
    Report { doc: json(&o), text: stdout(&t) }
}

impl Report {
    /// The one escapes-to-heap or moved-to-heap finding with `subject` in `function`.
    fn finding(&self, function: &str, subject: &str) -> &Value {
        let hits: Vec<&Value> = self.doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["function"] == function && f["subject"] == subject && f["kind"] != "leaking-param")
            .collect();
        assert_eq!(hits.len(), 1, "{function} {subject}: {hits:#?}");
        hits[0]
    }
    /// The text report's lines for the finding at `line:col` (its line and the indented ones after).
    fn block(&self, at: &str) -> String {
        let mut lines = self.text.lines().skip_while(|l| !l.trim_start().starts_with(&format!("{at} ")));
        let first = lines.next().unwrap_or_else(|| panic!("{at} not in the report:\n{}", self.text));
        let rest: Vec<&str> = lines.take_while(|l| l.starts_with("           ")).collect();
        format!("{first}\n{}", rest.join("\n"))
    }
}

fn remedy(f: &Value) -> &str {
    f["remedy"].as_str().unwrap_or_default()
}

#[test]
fn returned_pointers_maps_and_errors_are_returned_not_boxed() {
    let r = report();
    for (func, subject) in [
        ("ReturnsPointer", "&T{...}"),
        ("ReverseAddr", "&Error{...}"),
        ("ReturnsMap", "map[string]int{...}"),
        ("ReturnsAny", "&T{...}"),
    ] {
        let f = r.finding(func, subject);
        assert_eq!(f["cause"], "returned", "{func}: {f:#}");
        assert_eq!(f["cost"], "allocates", "{func}: an escaping &T{{}} or map literal always allocates");
        assert!(!remedy(f).contains("fmt"), "{func}: {}", remedy(f));
    }
    // The error built on a return path is cold.
    let e = r.finding("ReverseAddr", "&Error{...}");
    assert_eq!(remedy(e), "an error built on a return path: cold, usually not worth changing");
    let block = r.block("32:14");
    assert!(block.contains("try: an error built on a return path"), "{block}");
    assert!(!block.contains("may not allocate"), "{block}");
}

#[test]
fn stored_captured_and_grown() {
    let r = report();
    assert_eq!(r.finding("StoresGlobal", "&T{...}")["cause"], "stored-in-heap");
    assert_eq!(r.finding("Captured", "x")["cause"], "closure-capture");
    // keep(t) inlines `kept = append(kept, t)`: stored in a slice, not "passed to append"
    assert_eq!(r.finding("PassesToLeakingParam", "&T{...}")["cause"], "stored-in-heap");
}

#[test]
fn boxing_advice_fits_what_took_the_value() {
    let r = report();
    let fmt = r.finding("Sprintf", "n");
    assert_eq!((fmt["cause"].as_str(), fmt["sink"].as_str()), (Some("interface-conversion"), Some("fmt")));
    assert!(remedy(fmt).contains("strconv"), "{}", remedy(fmt));

    let p = r.finding("Panics", "n");
    assert_eq!(p["sink"], "panic");
    assert!(remedy(p).contains("cold path"), "{}", remedy(p));

    let key = r.finding("WithUser", "userKey");
    assert_eq!(key["sink"], "context-key");
    assert!(
        remedy(key).contains("zero-size key type (struct{})") || remedy(key).contains("struct{}"),
        "{}",
        remedy(key)
    );
    assert_eq!(r.finding("WithUser", "user")["sink"], "context-value");

    let s = r.finding("Sorts", "byLen(s)");
    assert_eq!(s["sink"], "sort");
    assert!(remedy(s).contains("slices.SortFunc"), "{}", remedy(s));

    let pool = r.finding("PoolPut", "b[:0]");
    assert_eq!(pool["sink"], "pool-put");
    assert_eq!(pool["cost"], "allocates");
    assert!(remedy(pool).starts_with("`sync.Pool.Put` of a non-pointer value allocates each time: pool pointers"));

    let bin = r.finding("ReadsBinary", "binary.LittleEndian");
    assert_eq!(bin["sink"], "binary");
    assert_eq!(bin["cost"], "free", "binary.LittleEndian is a zero-size value");

    let j = r.finding("Marshals", "t");
    assert_eq!(j["sink"], "json");
    assert!(remedy(j).contains("pointer"), "{}", remedy(j));

    // No boxing finding outside fmt gets fmt's advice.
    for f in r.doc["findings"].as_array().unwrap() {
        if f["cause"] == "interface-conversion" && f["sink"] != "fmt" {
            assert!(!remedy(f).contains("fmt"), "{f:#}");
        }
    }
}

#[test]
fn costs_follow_the_runtime() {
    let r = report();
    // free: a constant, a zero-size value, a string constant (causes_test.go: 0 allocs/op)
    for subject in ["42", "struct {}{}", "\"const\""] {
        assert_eq!(r.finding("FreeBoxing", subject)["cost"], "free", "{subject}");
    }
    // the string an inlined call built, boxed for fmt: allocates (BenchmarkBoxInlinedStringResult)
    assert_eq!(r.finding("PrintsResult", "~r0")["cost"], "allocates");
    let block = r.block("67:22");
    assert!(!block.contains("may not allocate"), "{block}");
}

#[test]
fn costly_allocations_inlined_from_another_package_are_shown_by_default() {
    let r = report();
    let f = r.finding("WithContext", "new(http.Request)");
    assert_eq!(f["origin"], "inlined");
    assert_eq!(f["cost"], "allocates");
    let block = r.block("144:22");
    assert!(block.contains("new(http.Request) escapes to heap"), "{block}");
    assert!(block.contains("inlined from http.(*Request).WithContext"), "{block}");
    // its free panic("nil context") stays behind --all
    assert!(!r.text.contains("\"nil context\""), "{}", r.text);
}

#[test]
fn a_decline_whose_shape_did_not_match_is_hidden_and_a_matched_one_follows_the_remedy() {
    let r = report();
    // slice-to-array on the escaping make in the pool's New: not its shape
    let d = r.doc["declined"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "slice-to-array")
        .expect("slice-to-array declines the escaping make");
    assert_eq!(d["shape_mismatch"], true);
    assert!(!r.text.contains("slice-to-array declined"), "{}", r.text);
    // return-value's "exported" decline matched the shape: it is shown, after the remedy line
    let block = r.block("26:9");
    let try_at = block.find("try: ").expect(&block);
    let declined_at = block.find("return-value declined:").expect(&block);
    assert!(try_at < declined_at, "{block}");
    // -v shows the hidden one
    let dir = fixture("causes");
    let v = stdout(&stackify(dir.path(), &["-v"]));
    assert!(v.contains("slice-to-array"), "{v}");
}

#[test]
fn a_fix_whose_target_does_not_escape_renders_its_location_and_subject() {
    // fixtures/prealloc fix/slices.go: `sq` appends in a loop and never escapes (the README's
    // "local slice" case); the fix targets `append does not escape` at 45:14.
    let dir = fixture("prealloc");
    let text = stdout(&stackify(dir.path(), &[]));
    let at = text.find("  45:14    append does not escape").unwrap_or_else(|| panic!("{text}"));
    let after = &text[at..];
    let fix_line = after.lines().find(|l| l.contains("fix #")).unwrap();
    assert!(fix_line.contains("[prealloc-slice]"), "{fix_line}");
    assert!(after.lines().nth(1).unwrap().contains("each append past its capacity allocates"), "{after}");
    // and --json lists that finding, so the fix's target resolves
    let doc = json(&stackify(dir.path(), &["--json"]));
    let ids: Vec<u64> = doc["findings"].as_array().unwrap().iter().map(|f| f["id"].as_u64().unwrap()).collect();
    for fx in doc["fixes"].as_array().unwrap() {
        for t in fx["targets"].as_array().unwrap() {
            assert!(ids.contains(&t.as_u64().unwrap()), "fix {} target {t}", fx["id"]);
        }
    }
}

#[test]
fn a_variable_size_make_that_does_not_escape_is_explained_as_a_slice() {
    // fixtures/slice-to-array: `make([]T, n)` that -m keeps "does not escape" still allocates when n is
    // not a constant; the report said "the map does not escape" for every non-append site.
    let dir = fixture("slice-to-array");
    let doc = json(&stackify(dir.path(), &["--json"]));
    let makes: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "does-not-escape" && f["subject"].as_str().unwrap().starts_with("make([]"))
        .collect();
    assert!(!makes.is_empty(), "{doc:#}");
    for f in makes {
        let why = f["cause_text"].as_str().unwrap();
        assert!(why.starts_with("the slice does not escape") && why.contains("not a constant"), "{f:#}");
    }
}

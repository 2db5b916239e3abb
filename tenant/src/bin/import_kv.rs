//! `import-kv ENTRIES.json OUT.sql`: the statements storing, in the system
//! of record, every record a KV-only version of the tenant kept
//! (`tenant::records::import`). ENTRIES.json is what `wrangler kv bulk get`
//! prints, merged into one object: `{"key": {"value": "..."}, ...}`. Prints
//! what it read, by kind, as JSON, for `scripts/upgrade-from-kv.sh` to
//! check against the database once the file has run.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde::Deserialize;
use tenant::records::import::Import;

#[derive(Deserialize)]
struct Entry {
    value: Option<String>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, entries, out] = args.as_slice() else {
        eprintln!("usage: import-kv ENTRIES.json OUT.sql");
        return ExitCode::from(2);
    };
    let raw = match std::fs::read_to_string(entries) {
        Ok(raw) => raw,
        Err(err) => {
            eprintln!("import-kv: cannot read {entries}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let entries: BTreeMap<String, Entry> = match serde_json::from_str(&raw) {
        Ok(entries) => entries,
        Err(err) => {
            eprintln!("import-kv: {entries} is not a key-to-value object: {err}");
            return ExitCode::FAILURE;
        }
    };
    let vanished = entries.values().filter(|e| e.value.is_none()).count();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let import = Import::from_entries(
        entries
            .into_iter()
            .filter_map(|(key, entry)| entry.value.map(|value| (key, value))),
        now,
    );
    if let Err(err) = std::fs::write(out, import.to_sql()) {
        eprintln!("import-kv: cannot write {out}: {err}");
        return ExitCode::FAILURE;
    }
    let summary = serde_json::json!({
        "counts": import.counts,
        "skipped": import.skipped,
        "unreadable": import.unreadable,
        "vanished": vanished,
        "counts_sql": tenant::records::import::COUNTS_SQL,
    });
    println!("{summary}");
    if import.unreadable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! Golden files (insta) of what the command prints: every command's `--help`, text and `--json`
//! outputs against the simulator, and the exit code of every error class. Review a change with
//! `INSTA_UPDATE=always cargo test -p videogen-cli --test golden` and `git diff`.

mod common;

use common::*;
use std::path::Path;

/// Ids, times, ports and sizes that change per run, replaced by placeholders.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uuid]"),
        (r"(video|job)[_-][0-9a-f]{32}", "[$1-id]"),
        (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)?", "[time]"),
        (r"(127\.0\.0\.1|localhost):\d+", "[addr]"),
        (r#""elapsed_seconds": [0-9.e-]+"#, r#""elapsed_seconds": "[secs]""#),
        (r"\d{2}:\d{2}:\d{2}", "[hms]"),
        (r"/tmp/videogen-cli-[^/\s\x22]+", "[dir]"),
    ]
}

fn stdout_of(cmd: &mut assert_cmd::Command, expect: i32) -> String {
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(expect), "{stderr}");
    String::from_utf8(output.stdout).unwrap()
}

/// Checks `stdout`, one JSON value (or, for `batch-events` and `batch-report`, JSON Lines),
/// against `videogen schema output <command>`; and the vocabulary's rules the schema cannot
/// say: every time is RFC 3339 in UTC with `Z`, and counts, bytes and seconds are numbers.
fn conforms(command: &str, stdout: &str) {
    let command = match command.split(' ').take(2).collect::<Vec<_>>()[..] {
        ["batch", "status"] => "batch-status",
        ["batch", "report"] => "batch-report",
        [first, ..] => first,
        [] => command,
    };
    let schema = videogen().args(["schema", "output", command]).output().unwrap();
    assert!(schema.status.success(), "schema output {command}: {}", String::from_utf8_lossy(&schema.stderr));
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let values: Vec<serde_json::Value> = if matches!(command, "batch-events" | "batch-report") {
        stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
    } else {
        vec![serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{command}: not one JSON value ({e}): {stdout}"))]
    };
    assert!(!values.is_empty(), "{command} printed nothing");
    for value in &values {
        let errors: Vec<String> =
            validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{command} --json does not match its schema: {errors:#?}\n{value:#}");
        vocabulary_rules(command, value);
    }
}

/// What a schema does not say: times in UTC with `Z`; numbers as numbers.
fn vocabulary_rules(command: &str, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
            assert!(s.ends_with('Z'), "{command}: a time not in UTC with Z: {s}");
        }
        Value::Array(items) => items.iter().for_each(|v| vocabulary_rules(command, v)),
        Value::Object(map) => {
            for (key, v) in map {
                let numeric = matches!(key.as_str(), "line" | "output" | "bytes" | "exit_code" | "lines" | "done")
                    || key.ends_with("_seconds");
                assert!(!numeric || v.is_number() || v.is_null(), "{command}: {key} is not a number: {v}");
                vocabulary_rules(command, v);
            }
        }
        _ => {}
    }
}

macro_rules! golden {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => filters(), prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn help_of_every_command() {
    golden!("help", stdout_of(videogen().arg("--help"), 0));
    for command in [
        "generate",
        "submit",
        "status",
        "wait",
        "download",
        "list",
        "cancel",
        "models",
        "remix",
        "delete",
        "collections",
        "batch",
        "sim",
        "schema",
    ] {
        golden!(format!("help-{command}"), stdout_of(videogen().args([command, "--help"]), 0));
    }
}

#[test]
fn outputs_in_text_and_json() {
    let dir = scratch("golden");
    let state = dir.join("state.json");
    let run = |args: &[&str], expect: i32| {
        let stdout = stdout_of(videogen_sharing(&state).current_dir(&dir).args(args), expect);
        // Every --json output here is checked against its command's schema.
        if args[0] == "--json" {
            conforms(&args[1..].join(" "), &stdout);
        }
        stdout
    };
    // A finished Oxen.ai job: generate, then status and wait in later processes.
    let generated = run(&["--json", "generate", "A red balloon", "--out", "balloon.mp4"], 0);
    golden!("generate-json", &generated);
    let job = serde_json::from_str::<serde_json::Value>(&generated).unwrap()["outputs"][0]["job"].to_string();
    golden!("status-text", run(&["status", &job], 0));
    golden!("status-json", run(&["--json", "status", &job], 0));
    golden!("wait-text", run(&["wait", &job], 0));
    golden!("download-text", run(&["download", &job], 0));
    golden!("generate-count-json", run(&["--json", "generate", "Two cats", "--count", "2", "--out", "cats.mp4"], 0));
    golden!("models-text", run(&["models", "--provider", "openai"], 0));
    golden!("models-json", run(&["--json", "models", "--provider", "videodb"], 0));
    golden!("schema-output-error", run(&["schema", "output", "error"], 0));
    golden!("collections-text", run(&["collections"], 0));
    golden!("schema-batch-line", run(&["schema", "batch-line"], 0));
    std::fs::write(
        dir.join("b.jsonl"),
        "{\"prompt\": \"a red balloon\", \"duration\": 5}\n{\"prompt\": \"a paper boat\", \"provider\": \"openai\", \"model\": \"gateway-video-model\"}\n",
    )
    .unwrap();
    golden!("batch-text", run(&["batch", "b.jsonl", "--out-dir", "videos"], 0));
    golden!("batch-rerun-json", run(&["--json", "batch", "b.jsonl", "--out-dir", "videos"], 0));
    let second = std::fs::read_dir(dir.join("videos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("0002-") && name.ends_with(".mp4")
        })
        .expect("line 2's file");
    // The gateway gives a thumbnail: it is line 2's poster, beside its video.
    let poster = second.with_file_name(format!("{}-poster.webp", second.file_stem().unwrap().to_string_lossy()));
    assert!(std::fs::read(&poster).is_ok_and(|b| b.starts_with(b"RIFF")), "{}", poster.display());
    assert!(is_mp4(&second) && Path::new(&dir.join("balloon.mp4")).is_file());
}

#[test]
fn the_exit_code_of_every_error_class() {
    use videogen_sim::{FaultKind, FaultRule, Provider as SimProvider, Sim, SimConfig};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A simulator of the test's own: OpenAI jobs fail, an Oxen.ai create loses its answer.
    let sim = runtime
        .block_on(Sim::start(SimConfig {
            faults: vec![
                FaultRule::new(SimProvider::OpenAi, "createVideo", FaultKind::JobFails),
                FaultRule::new(SimProvider::Oxen, "enqueue_generation", FaultKind::ResetAfterProcessing),
            ],
            ..Default::default()
        }))
        .unwrap();
    let dir = scratch("codes");
    let state = dir.join("state.json");
    let missing = dir.join("missing.png");
    let missing = missing.to_str().unwrap();
    let slow = String::from_utf8(
        videogen_sharing(&state)
            .args(["submit", "A slow job", "--provider", "openai", "-m", "gateway-video-model"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    type Setup = fn(&mut assert_cmd::Command, &videogen_sim::Sim);
    let at_sim: Setup = |cmd, sim| {
        cmd.env("OPENAI_API_KEY", "sk-test").env("OPENAI_BASE_URL", sim.openai_base_url());
        cmd.env("OXEN_API_KEY", "sk-test").env("OXEN_BASE_URL", sim.base_url());
    };
    let plain: Setup = |_, _| {};
    let bad_base: Setup = |cmd, _| {
        cmd.env("OXEN_API_KEY", "sk-test").env("OXEN_BASE_URL", "ftp://example.com");
    };
    let cases: Vec<(&str, Vec<&str>, Setup)> = vec![
        ("usage: a flag clap refuses", vec!["generate", "x", "--size", "big"], plain),
        ("usage: a model rule", vec!["generate", "x", "--provider", "aihubmix", "--duration", "1"], plain),
        (
            "usage: a retired model",
            vec!["generate", "x", "--provider", "aihubmix", "--model", "veo-3.1-generate-preview"],
            plain,
        ),
        (
            "usage: a retired model let through, as the provider answers it",
            vec![
                "submit",
                "--shot",
                "5=A fox runs",
                "--shot",
                "It jumps",
                "-m",
                "kling-video-o3-pro-reference-to-video",
                "--allow-retired",
            ],
            plain,
        ),
        (
            "usage: a missing reference image",
            vec!["generate", "x", "--provider", "aihubmix", "-m", "wan2.6-i2v", "--image", missing],
            plain,
        ),
        (
            "usage: a field of another provider",
            vec!["generate", "x", "-p", "aihubmix", "--callback-url", "https://example.com/h"],
            plain,
        ),
        (
            "usage: --count where one video is made per request",
            vec!["generate", "x", "--provider", "videodb", "--count", "2"],
            plain,
        ),
        ("usage: a bad job handle", vec!["status", "not-a-job"], plain),
        (
            "refused by the provider: a model it does not know (sent, nothing created)",
            vec!["submit", "x", "--model", "no-such-video-model"],
            plain,
        ),
        ("usage: an operation the provider lacks", vec!["cancel", "openai:video_1"], plain),
        ("usage: a variant the provider lacks", vec!["generate", "x", "--variant", "spritesheet"], plain),
        (
            "failed: a job the provider does not know",
            vec!["status", "openai:video_00000000000000000000000000000000"],
            plain,
        ),
        ("config: a base URL that is not http(s)", vec!["list", "--provider", "oxen"], bad_base),
        (
            "job failed: the job fails at the provider",
            vec!["generate", "x", "--provider", "openai", "-m", "gateway-video-model", "--out", "never.mp4"],
            at_sim,
        ),
        ("timeout: --timeout passes first", vec!["wait", slow.trim(), "--timeout", "0.2"], plain),
        ("outcome unknown: the create's answer is lost", vec!["submit", "x", "--provider", "oxen"], at_sim),
    ];
    let mut table = String::new();
    for (class, args, setup) in &cases {
        let mut cmd = videogen_sharing(&state);
        cmd.current_dir(&dir);
        setup(&mut cmd, &sim);
        // With --json: the error is one JSON value on standard output too, in the command's schema.
        let output = cmd.arg("--json").args(args).output().unwrap();
        conforms(&args.join(" "), &String::from_utf8_lossy(&output.stdout));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let error = stderr.lines().find(|l| l.starts_with("error")).unwrap_or("").to_string();
        table.push_str(&format!("{:>3}  {class}\n     {error}\n", output.status.code().unwrap_or(-1)));
    }
    golden!("exit-codes", table);
    runtime.block_on(sim.stop());
}

/// Every command's `--json` output, success and failure, matches `videogen schema output
/// <command>` (the goldens above are checked too): one shape whatever the count, the job
/// handle that `submit --json` prints read back by `wait`, errors in the one error shape.
#[test]
fn every_json_output_matches_its_schema() {
    let dir = scratch("vocabulary");
    let state = dir.join("state.json");
    let json = |args: &[&str]| {
        let output = videogen_sharing(&state).current_dir(&dir).arg("--json").args(args).output().unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        conforms(&args.join(" "), &stdout);
        (output.status.code(), stdout)
    };
    let value = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
    // submit: {"jobs": [...]} whatever the count; the one-job report is a handle wait takes.
    let (code, one) = json(&["submit", "A kite", "-p", "openai", "-m", "gateway-video-model"]);
    assert_eq!((code, value(&one)["jobs"].as_array().map(Vec::len)), (Some(0), Some(1)), "{one}");
    let (_, two) = json(&["submit", "Two kites", "--count", "2"]);
    assert_eq!(value(&two)["jobs"].as_array().map(Vec::len), Some(2), "{two}");
    let (code, waited) = json(&["wait", one.trim()]);
    assert_eq!((code, value(&waited)["status"].as_str()), (Some(0), Some("succeeded")), "{waited}");
    let (code, refused) = json(&["wait", two.trim()]);
    assert_eq!(code, Some(2), "a report of two jobs names none: {refused}");
    let handle = value(&one)["jobs"][0].to_string();
    let (code, files) = json(&["wait", &handle, "--out", "kite.mp4"]);
    assert_eq!((code, value(&files)["outputs"][0]["output"].as_u64()), (Some(0), Some(1)), "{files}");
    let (code, _) = json(&["download", &handle, "--out", "kite-again.mp4"]);
    assert_eq!(code, Some(0));
    json(&["status", &handle]);
    let (code, remixed) = json(&["remix", &handle, "Make it night", "-m", "gateway-video-model"]);
    assert_eq!((code, value(&remixed)["jobs"].as_array().map(Vec::len)), (Some(0), Some(1)), "{remixed}");
    let (code, deleted) = json(&["delete", &handle]);
    assert_eq!((code, value(&deleted)["status"].as_str()), (Some(0), Some("deleted")), "{deleted}");
    // cancel: a running job's state, or an ended one's error.
    let (_, running) = json(&["submit", "A slow one"]);
    json(&["cancel", running.trim()]);
    json(&["cancel", running.trim()]);
    json(&["list", "--limit", "3"]);
    json(&["list", "-p", "openai"]);
    json(&["collections"]);
    let (code, made) = json(&["collections", "create", "vocabulary"]);
    assert_eq!(code, Some(0), "{made}");
    json(&["collections", "delete", value(&made)["id"].as_str().unwrap()]);
    json(&["models"]);
    json(&["models", "--live"]);
    json(&["models", "--drift", "-p", "aihubmix"]);
    json(&["generate", "A fox", "--dry-run"]);
    json(&["submit", "A fox", "-p", "aihubmix", "-m", "happyhorse-1.1-t2v", "--dry-run"]);
    // Errors: before sending, at the provider, a failed output among several.
    json(&["generate", "x", "--duration", "-3"]);
    json(&["status", "openai:video_00000000000000000000000000000000"]);
    json(&["download", "oxen:nope", "--out", "x.mp4"]);
    std::fs::write(
        dir.join("b.jsonl"),
        "{\"prompt\": \"a red balloon\", \"count\": 2}\n{\"prompt\": \"a paper boat\", \"provider\": \"videodb\"}\n",
    )
    .unwrap();
    json(&["batch", "b.jsonl", "--out-dir", "videos", "--dry-run"]);
    let (code, summary) = json(&["batch", "b.jsonl", "--out-dir", "videos"]);
    assert_eq!(code, Some(0), "{summary}");
    let written = value(&summary)["written"].clone();
    let outputs: Vec<u64> = written.as_array().unwrap().iter().filter_map(|w| w["output"].as_u64()).collect();
    assert_eq!(outputs, [1, 2, 1], "outputs numbered from 1 per line: {written}");
    json(&["batch", "b.jsonl", "--out-dir", "videos"]);
    let events = videogen_sharing(&state)
        .current_dir(&dir)
        .args(["batch", "b.jsonl", "--out-dir", "events", "--events"])
        .output()
        .unwrap();
    assert!(events.status.success(), "{}", String::from_utf8_lossy(&events.stderr));
    let events = String::from_utf8(events.stdout).unwrap();
    conforms("batch-events", &events);
    assert!(events.lines().last().is_some_and(|l| l.contains("\"event\":\"summary\"")), "{events}");
    json(&["batch", "status", "--out-dir", "videos"]);
    let (code, rows) = json(&["batch", "report", "--out-dir", "videos"]);
    assert_eq!((code, rows.lines().count()), (Some(0), 2), "{rows}");
}

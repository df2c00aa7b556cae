//! The `plugboard` binary's commands, run as a user would.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn plugboard(
    data_dir: &std::path::Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .args(args)
        .env_clear()
        .env("PLUGBOARD_DATA_DIR", data_dir)
        .env("PLUGBOARD_LOG", "warn")
        .envs(env.iter().copied())
        .current_dir(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run plugboard");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_explains_each_command_and_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = plugboard(dir.path(), &["--help"], "", &[]);
    let help = text(&out.stdout);
    assert!(out.status.success());
    for expected in [
        "serve",
        "migrate",
        "user",
        "plan",
        "DATABASE_URL",
        "PLUGBOARD_SECRET_KEY",
        "PLUGBOARD_BASE_URL",
    ] {
        assert!(
            help.contains(expected),
            "--help mentions {expected}:\n{help}"
        );
    }
    let user_help = text(&plugboard(dir.path(), &["user", "create", "--help"], "", &[]).stdout);
    assert!(user_help.contains("standard input"), "{user_help}");
}

#[test]
fn create_a_user_then_change_their_plan() {
    let dir = tempfile::tempdir().unwrap();
    let out = plugboard(dir.path(), &["migrate"], "", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        dir.path().join("plugboard.db").exists(),
        "SQLite file created on first run"
    );
    let key = dir.path().join("secret.key");
    assert!(key.exists(), "secret key generated on first run");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let out = plugboard(
        dir.path(),
        &["user", "create", "ops@example.com"],
        "violet tractor humming seaside\n",
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout)
        .contains("Created ops@example.com, with a personal workspace on the free plan."));

    let again = plugboard(
        dir.path(),
        &["user", "create", "ops@example.com"],
        "violet tractor humming seaside\n",
        &[],
    );
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );

    let weak = plugboard(
        dir.path(),
        &["user", "create", "weak@example.com"],
        "password\n",
        &[],
    );
    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("10 characters"),
        "{}",
        text(&weak.stderr)
    );

    let out = plugboard(
        dir.path(),
        &["plan", "set", "ops@example.com", "pro"],
        "",
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("now on the pro plan"));

    let unknown = plugboard(
        dir.path(),
        &["plan", "set", "ops@example.com", "platinum"],
        "",
        &[],
    );
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("the plans are: free, pro, business"),
        "{}",
        text(&unknown.stderr)
    );

    let nobody = plugboard(
        dir.path(),
        &["plan", "set", "nobody@example.com", "pro"],
        "",
        &[],
    );
    assert!(
        text(&nobody.stderr).contains("No workspace is called that."),
        "{}",
        text(&nobody.stderr)
    );

    let list = text(&plugboard(dir.path(), &["plan", "list"], "", &[]).stdout);
    assert!(
        list.contains("business") && list.contains("unlimited"),
        "{list}"
    );
}

#[test]
fn workspaces_are_created_listed_and_joined_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    for email in ["ops@example.com", "colleague@example.com"] {
        let out = plugboard(
            dir.path(),
            &["user", "create", email],
            "violet tractor humming seaside\n",
            &[],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = plugboard(
        dir.path(),
        &["workspace", "create", "Acme", "--owner", "ops@example.com"],
        "",
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = plugboard(
        dir.path(),
        &[
            "workspace",
            "add",
            "Acme",
            "colleague@example.com",
            "--role",
            "member",
        ],
        "",
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("as member"),
        "{}",
        text(&out.stdout)
    );
    let twice = plugboard(
        dir.path(),
        &[
            "workspace",
            "add",
            "Acme",
            "colleague@example.com",
            "--role",
            "viewer",
        ],
        "",
        &[],
    );
    assert!(!twice.status.success());
    assert!(text(&twice.stderr).contains("already in the workspace"));
    let bad_role = plugboard(
        dir.path(),
        &[
            "workspace",
            "add",
            "Acme",
            "colleague@example.com",
            "--role",
            "boss",
        ],
        "",
        &[],
    );
    assert!(text(&bad_role.stderr).contains("the roles are: owner, admin, member, viewer"));
    let out = plugboard(dir.path(), &["plan", "set", "Acme", "business"], "", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let list = text(&plugboard(dir.path(), &["workspace", "list"], "", &[]).stdout);
    let acme = list
        .lines()
        .find(|line| line.ends_with("Acme"))
        .expect(&list);
    assert!(acme.contains("business"), "{list}");
    assert!(
        acme.split_whitespace().nth(2) == Some("2"),
        "two people: {list}"
    );
    assert!(
        list.contains("colleague@example.com"),
        "personal workspaces too: {list}"
    );
}

#[test]
fn a_bad_setting_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = plugboard(
        dir.path(),
        &["migrate"],
        "",
        &[("PLUGBOARD_SESSION_DAYS", "forever")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("PLUGBOARD_SESSION_DAYS"),
        "{}",
        text(&out.stderr)
    );

    let out = plugboard(
        dir.path(),
        &["migrate"],
        "",
        &[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nothing")],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("DATABASE_URL"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn empty_password_on_stdin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = plugboard(dir.path(), &["user", "create", "x@example.com"], "", &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no password"),
        "{}",
        text(&out.stderr)
    );
}

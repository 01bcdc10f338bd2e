"""`[mail]` in coop.toml: set by command, validated with path:line:col, no password field."""

from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import Cli, copy_example, git


def test_mail_keys_set_by_command_and_shown(tmp_path: Path, cli: Cli) -> None:
    root = copy_example(tmp_path / "repo")
    cli("-C", root, "config", "set", "mail.host", "smtp.kreis.example")
    cli("-C", root, "config", "set", "mail.security", "tls")
    cli("-C", root, "config", "set", "mail.from_address", "integration@kreis.example")
    cli("-C", root, "config", "set", "mail.from_name", "Integrationsbeauftragte")
    data = tomllib.loads((root / "coop.toml").read_text(encoding="utf-8"))
    assert data["mail"] == {
        "host": "smtp.kreis.example",
        "security": "tls",
        "from_address": "integration@kreis.example",
        "from_name": "Integrationsbeauftragte",
    }
    shown = cli("-C", root, "config", "show").stdout
    assert "mail.host" in shown and "mail.reply_to" in shown
    assert "password" not in shown
    assert git(root, "status", "--porcelain").strip() == ""


def test_mail_refuses_plain_smtp_to_a_remote_host(tmp_path: Path, cli: Cli) -> None:
    root = copy_example(tmp_path / "repo")
    cli("-C", root, "config", "set", "mail.host", "smtp.kreis.example")
    result = cli("-C", root, "config", "set", "mail.security", "none", ok=False)
    assert "nur für localhost" in result.stderr
    cli("-C", root, "config", "set", "mail.host", "127.0.0.1")
    cli("-C", root, "config", "set", "mail.security", "none")


def test_mail_password_in_coop_toml_is_an_error_with_line(tmp_path: Path, cli: Cli) -> None:
    root = copy_example(tmp_path / "repo")
    toml = root / "coop.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(
        text + '\n[mail]\nhost = "smtp.kreis.example"\npassword = "geheim"\n'
        'from_address = "kein-at-zeichen"\n',
        encoding="utf-8",
    )
    lines = toml.read_text(encoding="utf-8").split("\n")
    result = cli("-C", root, "check", ok=False)
    password_line = lines.index('password = "geheim"') + 1
    from_line = lines.index('from_address = "kein-at-zeichen"') + 1
    assert f"coop.toml:{password_line}:" in result.stdout + result.stderr
    assert f"coop.toml:{from_line}:" in result.stdout + result.stderr
    assert "keine E-Mail-Adresse" in result.stdout + result.stderr

"""A database URL's password never appears in a log line, an error or --help, whatever characters it holds."""

from __future__ import annotations

import pytest

from stylist.errors import StylistError
from stylist.settings import Settings, checked_database_url, redacted
from tests.helpers.cli import assert_one_line_error, stylist

PASSWORDS = ["hunter2", "pa#ss", "pa?ss", "pa/ss", "p@ss", "p:ss"]


@pytest.mark.parametrize("password", PASSWORDS)
def test_a_password_is_hidden_whatever_it_holds(password):
    shown = redacted(f"postgresql://stylist:{password}@db.example:5432/stylist")
    assert shown == "postgresql://stylist:***@db.example:5432/stylist"
    assert redacted("postgresql://stylist@db.example/stylist") == "postgresql://stylist@db.example/stylist"


def test_password_parameters_and_key_value_strings_are_hidden_too():
    assert redacted("postgresql://me@h/db?password=hunter2&sslmode=require") == \
        "postgresql://me@h/db?password=***&sslmode=require"
    assert redacted("host=h user=me password=hunter2") == "host=h user=me password=***"


def test_urls_stylist_cannot_use_are_one_sentence_without_their_password():
    for url, said in [("mysql://me:hunter2@h/db", "unknown database"),
                      ("postgresql://me:hunter2@h:54x2/db", "cannot read the database URL")]:
        with pytest.raises(StylistError, match=said) as refused:
            checked_database_url(url)
        assert "hunter2" not in str(refused.value)
    assert checked_database_url("postgres://me:hunter2@h/db") == "postgresql://me:hunter2@h/db"


def test_the_cli_says_so_in_one_line_and_its_help_shows_no_password(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLIST_DATABASE", "postgresql://me:hunter2@h:54x2/db")
    refused = stylist(tmp_path, "catalog", "list")
    assert "hunter2" not in assert_one_line_error(refused)
    helped = stylist(tmp_path, "--help")
    assert helped.returncode == 0 and "--database" in helped.stdout and "hunter2" not in helped.stdout


def test_settings_take_the_url_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STYLIST_DATABASE", "postgres://me@h/db")
    assert Settings.from_env(str(tmp_path)).database == "postgresql://me@h/db"
    monkeypatch.delenv("STYLIST_DATABASE")
    assert Settings.from_env(str(tmp_path)).database is None

import re
from pathlib import Path

import pytest
from helpers import run_cli

from citewatch.config import ConfigError, Settings, load_settings, parse_duration, settings_from_dict

EXAMPLE = Path(__file__).parent.parent / "config" / "citewatch.example.toml"


def test_defaults_without_a_file(monkeypatch):
    monkeypatch.delenv("CITEWATCH_CONFIG", raising=False)
    settings = load_settings()
    assert settings == Settings()
    assert settings.storage.dir == Path("citewatch-data")
    assert settings.crawl.timeout == 30 and settings.crawl.per_host_concurrency == 2
    assert settings.dead.failures == 3 and settings.dead.min_days == 3
    assert settings.crawl.allow_private_addresses is False
    assert settings.wayback.enabled is True and settings.email.enabled is False


def test_example_config_states_the_defaults():
    import dataclasses

    example, defaults = load_settings(EXAMPLE), Settings()
    for section in ("crawl", "dead", "wayback", "email"):
        assert getattr(example, section) == getattr(defaults, section), section
    assert example.storage.dir == EXAMPLE.parent / "citewatch-data"
    assert dataclasses.replace(example.schedule, report_dir=defaults.schedule.report_dir) == defaults.schedule


def test_environment_variable_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text("[crawl]\nconcurrency = 4\n")
    monkeypatch.setenv("CITEWATCH_CONFIG", str(path))
    assert load_settings().crawl.concurrency == 4


def test_relative_storage_dir_is_relative_to_the_config_file(tmp_path):
    path = tmp_path / "etc" / "c.toml"
    path.parent.mkdir()
    path.write_text('[storage]\ndir = "state"\n')
    assert load_settings(path).storage.dir == tmp_path / "etc" / "state"


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("5m", 300), ("6h", 21600), ("3d", 259200), ("1.5h", 5400), ("45", 45)]
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_duration_strings_are_accepted_for_durations():
    assert settings_from_dict({"crawl": {"timeout": "2m"}}).crawl.timeout == 120


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"crawl": {"timeout": "abc"}}, "crawl.timeout must be a positive number"),
        ({"crawl": {"timeout": -1}}, "crawl.timeout must be a positive number"),
        ({"crawl": {"concurrency": 1.5}}, "crawl.concurrency must be a positive whole number, got 1.5"),
        ({"crawl": {"allow_private_addresses": "yes"}}, "crawl.allow_private_addresses must be true or false"),
        ({"dead": {"failures": 0}}, "dead.failures must be a positive whole number, got 0"),
        ({"crawl": {"timeot": 3}}, "unknown key crawl.timeot"),
        ({"crawler": {}}, "unknown section [crawler]"),
        ({"wayback": {"base_url": "ftp://x"}}, "wayback.base_url must be an http(s) URL"),
    ],
)
def test_invalid_values_name_the_key(data, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        settings_from_dict(data)


def test_bad_config_file_exits_2_with_one_clear_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[crawl]\ntimeout = 'abc'\n")
    result = run_cli(path, "status")
    assert result.exit_code == 2
    assert f"{path}: crawl.timeout must be a positive number" in result.output


def test_invalid_toml_and_missing_file_exit_2(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[crawl\n")
    assert "invalid TOML" in run_cli(broken, "status").output
    assert run_cli(broken, "status").exit_code == 2
    missing = run_cli(tmp_path / "nope.toml", "status")
    assert missing.exit_code == 2 and "cannot read config file" in missing.output

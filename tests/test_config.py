"""Settings layers: defaults < user file < workspace file < environment < typed flags."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from brainloop_tui.core.config import load_settings, user_config_path, workspace_config_path
from brainloop_tui.core.errors import ConfigError


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_defaults_are_cerebras(workspace: Path) -> None:
    loaded = load_settings(workspace)
    assert loaded.settings.base_url == "https://api.cerebras.ai/v1"
    assert loaded.settings.model == "gpt-oss-120b"
    assert (loaded.settings.temperature_propose, loaded.settings.temperature_refine,
            loaded.settings.temperature_finalize) == (0.6, 0.3, 0.1)
    assert set(loaded.sources.values()) == set()


def test_each_layer_overrides_the_one_before(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(user_config_path(), 'model = "from-user"\nbase_url = "http://user"\nlog_level = "DEBUG"\nmax_completion_tokens = 11\n')
    write(workspace_config_path(workspace), 'model = "from-workspace"\nbase_url = "http://workspace"\nmax_completion_tokens = 22\n')
    monkeypatch.setenv("BRAINLOOP_MODEL", "from-env")
    monkeypatch.setenv("BRAINLOOP_MAX_COMPLETION_TOKENS", "33")
    loaded = load_settings(workspace, {"model": "from-flag", "provider": None})
    s = loaded.settings
    assert (s.model, s.base_url, s.log_level, s.max_completion_tokens) == ("from-flag", "http://workspace", "DEBUG", 33)
    assert loaded.sources["model"] == "command line"
    assert loaded.sources["max_completion_tokens"] == "environment"
    assert loaded.sources["base_url"] == str(workspace_config_path(workspace))
    assert loaded.sources["log_level"] == str(user_config_path())
    assert "provider" not in loaded.sources  # a flag not typed sets nothing


def test_cerebras_key_is_the_fallback(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEREBRAS_API_KEY", "csk-fallback")
    assert load_settings(workspace).settings.api_key.get_secret_value() == "csk-fallback"
    monkeypatch.setenv("BRAINLOOP_API_KEY", "bl-key")
    assert load_settings(workspace).settings.api_key.get_secret_value() == "bl-key"


def test_secrets_are_masked_in_the_description(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAINLOOP_API_KEY", "sk-very-secret-value")
    rows = load_settings(workspace).describe()
    assert "sk-very-secret-value" not in repr(rows)
    assert ("api_key", "******** (hidden)", "environment") in rows
    assert "sk-very-secret-value" not in repr(load_settings(workspace).settings)


def test_bad_toml_names_file_and_line(workspace: Path) -> None:
    write(workspace_config_path(workspace), 'model = "ok"\nbase_url = \n')
    with pytest.raises(ConfigError) as err:
        load_settings(workspace)
    assert str(workspace_config_path(workspace)) in str(err.value)
    assert f"{workspace_config_path(workspace)}:2: invalid TOML" in str(err.value)


def test_unknown_key_lists_the_valid_ones(workspace: Path) -> None:
    write(user_config_path(), 'modle = "typo"\n')
    with pytest.raises(ConfigError, match=r"unknown setting 'modle'.*valid settings are: provider, base_url, model"):
        load_settings(workspace)


def test_bad_value_names_the_setting_and_its_source(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAINLOOP_TEMPERATURE_REFINE", "7")
    with pytest.raises(ConfigError, match=r"temperature_refine \(from environment\)"):
        load_settings(workspace)


def test_unreadable_config_is_a_config_error(workspace: Path) -> None:
    write(workspace_config_path(workspace), "")
    os.remove(workspace_config_path(workspace))
    workspace_config_path(workspace).mkdir()
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(workspace)

"""Settings, layered: defaults < user file < workspace file < environment < command-line flags.

Each layer is a plain mapping so that `brainloop config` can say where every effective value came
from; pydantic validates the merged result once.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

from brainloop_tui.core.errors import ConfigError

ENV_PREFIX = "BRAINLOOP_"
CONFIG_FILE_NAME = "config.toml"
STATE_DIR_NAME = ".brainloop"
# Read when no Brainloop key is set anywhere: Cerebras is the default provider.
FALLBACK_KEY_ENV = "CEREBRAS_API_KEY"


class Settings(BaseSettings):
    """Every setting Brainloop knows. TOML keys and `BRAINLOOP_<KEY>` variables use these names."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    provider: Literal["auto", "http", "local"] = Field(
        "auto", description="auto: a key means http, else the embedded model if installed"
    )
    base_url: str = Field("https://api.cerebras.ai/v1", description="OpenAI-compatible endpoint")
    model: str = Field("gpt-oss-120b", description="model name sent to the endpoint")
    api_key: SecretStr | None = Field(None, description="key for the endpoint (or `brainloop secret set api_key`)")
    local_model: Path | None = Field(None, description="a GGUF file to use instead of the bundled model")
    temperature_propose: float = Field(0.6, ge=0, le=2)
    temperature_refine: float = Field(0.3, ge=0, le=2)
    temperature_finalize: float = Field(0.1, ge=0, le=2)
    max_completion_tokens: int = Field(4096, gt=0, description="charged up front by Cerebras: keep it modest")
    auto_refine: int | None = Field(None, ge=0, le=5, description="rounds that feed error diagnostics back "
                                    "automatically; unset: 2 when a check ran the code, else 1")
    candidates: int | None = Field(None, ge=1, le=8, description="answers generated per proposal, the best kept; "
                                   "unset: 1 on the embedded model, 3 over HTTP")
    check_command: str | None = Field(None, description="the project's own check, run on each answer in a sandbox: "
                                      "e.g. `pytest -q -x {tests}` or `go test ./{package}`")
    check_timeout: float = Field(10.0, gt=0, le=600, description="seconds each executing check may run")
    parallel_blocks: int = Field(4, ge=1, le=16, description="blocks of a session generated at the same time")
    prompt_budget_tokens: int | None = Field(None, ge=500, description="what a prompt may spend on grounding; "
                                             "unset: 2000 on the embedded model, 6000 over HTTP")
    conventions_wait: float = Field(5.0, ge=0, description="seconds a generation waits for the conventions "
                                                           "to be refreshed before it uses the stored set")
    request_timeout: float = Field(60.0, gt=0, description="seconds without a byte before a call fails")
    heartbeat_interval: float = Field(15.0, gt=0, description="seconds between heartbeat rows")
    poison_pill_interval: float = Field(1.0, gt=0, description="seconds between poison-pill checks")
    shutdown_deadline: float = Field(45.0, gt=0, le=55, description="seconds ongoing work gets at shutdown")
    busy_timeout_ms: int = Field(5000, ge=0, description="SQLite busy_timeout")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    keymap: dict[str, str] = Field(default_factory=dict, description="workbench key overrides: binding id = keys")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_other_sources):  # type: ignore[override]
        # The layers are merged by `load_settings`; construction only validates what it is given.
        return (init_settings,)


SECRET_KEYS = frozenset(name for name, f in Settings.model_fields.items() if f.annotation == SecretStr | None)


@dataclass(frozen=True)
class Layer:
    """One source of settings: its name as shown to the user, and the values it sets."""

    name: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    sources: Mapping[str, str]  # key -> name of the layer that set it ("default" when none did)

    def describe(self) -> list[tuple[str, str, str]]:
        """(key, shown value, source) for every setting, secrets masked."""
        rows = []
        for key in Settings.model_fields:
            value = getattr(self.settings, key)
            if key in SECRET_KEYS:
                shown = "(not set)" if value is None else "******** (hidden)"
            else:
                shown = "(not set)" if value is None else str(value)
            rows.append((key, shown, self.sources.get(key, "default")))
        return rows


def user_config_path() -> Path:
    return platformdirs.user_config_path("brainloop") / CONFIG_FILE_NAME


def workspace_config_path(workspace: Path) -> Path:
    return workspace / STATE_DIR_NAME / CONFIG_FILE_NAME


def read_toml_layer(path: Path) -> Layer:
    """The settings a TOML file sets; a missing file sets nothing."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Layer(str(path), {})
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from exc
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}:{_error_line(str(exc), text)}: invalid TOML: {exc}") from exc
    unknown = sorted(set(values) - set(Settings.model_fields))
    if unknown:
        valid = ", ".join(Settings.model_fields)
        raise ConfigError(f"{path}: unknown setting {', '.join(map(repr, unknown))}; valid settings are: {valid}")
    return Layer(str(path), values)


def _error_line(message: str, text: str) -> int:
    """tomllib (3.11) puts the position only in its message: "(at line N, column M)" or "(at end of document)"."""
    found = re.search(r"at line (\d+)", message)
    return int(found.group(1)) if found else max(1, len(text.splitlines()))


def env_layer() -> Layer:
    """`BRAINLOOP_<KEY>` variables, then CEREBRAS_API_KEY as the key of last resort."""
    values = EnvSettingsSource(Settings)()
    if "api_key" not in values and os.environ.get(FALLBACK_KEY_ENV):
        values["api_key"] = os.environ[FALLBACK_KEY_ENV]
    return Layer("environment", values)


def load_settings(workspace: Path, cli_values: Mapping[str, Any] | None = None) -> LoadedSettings:
    """Merge every layer (later ones win) and validate the result."""
    layers = [
        read_toml_layer(user_config_path()),
        read_toml_layer(workspace_config_path(workspace)),
        env_layer(),
        Layer("command line", {k: v for k, v in (cli_values or {}).items() if v is not None}),
    ]
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        merged.update(layer.values)
        sources.update(dict.fromkeys(layer.values, layer.name))
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{err['loc'][0]} (from {sources.get(str(err['loc'][0]), 'default')}): {err['msg']}"
            for err in exc.errors(include_input=False)
        )
        raise ConfigError(f"invalid setting: {problems}") from None
    return LoadedSettings(settings, sources)

"""Settings: environment parsing, clear errors, and a reference that cannot go stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracehound.errors import ConfigError
from tracehound.settings import SETTINGS, Settings, settings_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_environment_values_are_parsed() -> None:
    settings = Settings.load({"TRACEHOUND_PORT": "7000", "TRACEHOUND_TRACING": "off", "TRACEHOUND_SAMPLE_RATE": "0.25"})
    assert (settings.port, settings.tracing, settings.sample_rate) == (7000, False, 0.25)


def test_explicit_values_beat_the_environment_and_none_is_ignored() -> None:
    settings = Settings.load({"TRACEHOUND_PORT": "7000"}, port=7001, host=None)
    assert settings.port == 7001 and settings.host == "127.0.0.1"


@pytest.mark.parametrize(("name", "value"), [("TRACEHOUND_PORT", "many"), ("TRACEHOUND_TRACING", "maybe"),
                                             ("TRACEHOUND_SAMPLE_RATE", "2")])
def test_a_value_that_does_not_parse_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.load({name: value})
    assert caught.value.setting == name and name in str(caught.value)


def test_docs_list_every_setting_as_generated() -> None:
    assert DOCS.read_text() == settings_markdown(), "run: python -m tracehound.settings > docs/settings.md"
    for setting in SETTINGS:
        assert setting.env in DOCS.read_text()

"""The store factory: one configuration picks the engines; URLs, defaults and the errors a user sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.spans import span
from tracehound.cli import main
from tracehound.errors import ConfigError
from tracehound.model import Span
from tracehound.settings import Settings
from tracehound.store.factory import StoreConfig, open_stores, redact, scheme_of, sqlite_file


def test_the_data_dir_means_one_sqlite_file_for_every_store(tmp_path: Path) -> None:
    stores = open_stores(Settings(data_dir=str(tmp_path)))
    try:
        assert stores.config.spans_url == stores.config.meta_url == f"sqlite://{tmp_path / 'tracehound.db'}"
        stores.spans.upsert([Span(**span())])
        stores.meta.ensure_projects(["default"])
        assert stores.spans.count() == 1 and [p.name for p in stores.meta.list_projects()] == ["default"]
        assert stores.feedback.list_feedback() == []
    finally:
        stores.close()
        stores.close()  # twice is harmless
    assert (tmp_path / "tracehound.db").exists()


def test_urls_put_spans_and_meta_in_separate_files(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path / "unused"), spans_url=f"sqlite://{tmp_path}/spans.db",
                        meta_url=f"sqlite://{tmp_path}/meta.db")
    stores = open_stores(settings).open_all()
    try:
        stores.spans.upsert([Span(**span())])
        stores.meta.ensure_projects(["p"])
    finally:
        stores.close()
    assert (tmp_path / "spans.db").exists() and (tmp_path / "meta.db").exists()
    assert not (tmp_path / "unused" / "tracehound.db").exists()


def test_stores_open_lazily(tmp_path: Path) -> None:
    stores = open_stores(StoreConfig(f"sqlite://{tmp_path}/spans.db", f"sqlite://{tmp_path}/meta.db"))
    stores.meta.list_projects()
    stores.close()
    assert (tmp_path / "meta.db").exists() and not (tmp_path / "spans.db").exists()


@pytest.mark.parametrize(("spans_url", "meta_url", "setting"), [
    ("mysql://db/x", None, "TRACEHOUND_SPANS_URL"),
    (None, "redis://cache", "TRACEHOUND_META_URL"),
    ("postgresql://db/x", None, "TRACEHOUND_SPANS_URL"),  # PostgreSQL holds meta, not spans
    (None, "chdb:///tmp/x", "TRACEHOUND_META_URL"),  # ClickHouse holds spans, not meta
])
def test_a_url_an_engine_cannot_serve_is_a_config_error_naming_the_setting(
        tmp_path: Path, spans_url: str | None, meta_url: str | None, setting: str) -> None:
    stores = open_stores(Settings(data_dir=str(tmp_path), spans_url=spans_url, meta_url=meta_url))
    with pytest.raises(ConfigError) as caught:
        stores.open_all()
    stores.close()
    assert caught.value.setting == setting and setting in str(caught.value)


def test_url_helpers() -> None:
    assert scheme_of("postgresql+psycopg://u@h/db") == "postgresql" and scheme_of("/var/data") == ""
    assert sqlite_file("sqlite:///var/lib/th.db") == "/var/lib/th.db"
    with pytest.raises(ConfigError):
        sqlite_file("sqlite://")
    assert redact("clickhouse://alice:s3cret@ch:8123/db") == "clickhouse://alice:***@ch:8123/db"
    assert redact("postgresql://ch:5432/db") == "postgresql://ch:5432/db"


def test_settings_read_the_store_urls_from_the_environment() -> None:
    settings = Settings.load({"TRACEHOUND_SPANS_URL": "chdb:///x", "TRACEHOUND_META_URL": "postgresql://h/db"})
    assert (settings.spans_url, settings.meta_url) == ("chdb:///x", "postgresql://h/db")
    assert "chdb" not in repr(settings), "URLs may carry passwords; they stay out of reprs"


def test_serve_refuses_a_store_url_it_cannot_use(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--data-dir", str(tmp_path), "--spans", "mysql://db/x",
                                       "--port", "1"])
    assert result.exit_code == 2, result.output
    assert "TRACEHOUND_SPANS_URL" in result.output and "mysql://db/x" in result.output

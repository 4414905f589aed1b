"""The banner's texts are the site's to change: a texts file is laid over the built-in ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from custos.config import get_settings
from custos.consent import ConsentSettings, install
from custos.consent.texts import TEXTS, load_texts
from custos.datamap import DataMap
from custos.errors import ConfigError
from custos.server import create_app

FRENCH = {key: f"fr {key}" for key in TEXTS["en"]} | {"title": "Vos choix de confidentialité"}


def app_with_texts(tmp: Path, datamap: DataMap, texts_file: Path) -> TestClient:
    settings = get_settings(database_url=f"sqlite:///{tmp / 'custos.db'}", state_dir=str(tmp / "state"),
                            outbox_dir=str(tmp / "outbox"), public_url="http://testserver", secret_key="k" * 40)
    app = create_app(settings, datamap=datamap, run_jobs=False, pages=False, extensions=False)
    install(app, settings=ConsentSettings(webhook_worker=False, texts_file=str(texts_file)))
    return TestClient(app)


def write(tmp: Path, text: str) -> Path:
    path = tmp / "texts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_banner_serves_the_sites_texts_and_a_new_language(tmp_path: Path, datamap: DataMap) -> None:
    french = "\n".join(f"  {key}: {value!r}" for key, value in FRENCH.items())
    path = write(tmp_path, f"en:\n  title: Your choices at Example Shop\nfr:\n{french}\n")
    with app_with_texts(tmp_path, datamap, path) as client:
        english = client.get("/v1/consent/config", params={"lang": "en-GB"}).json()
        assert english["language"] == "en"
        assert english["texts"]["title"] == "Your choices at Example Shop"
        assert english["texts"]["accept_all"] == TEXTS["en"]["accept_all"]  # the others stay built-in
        french_config = client.get("/v1/consent/config", params={"lang": "fr-CA"}).json()
        assert french_config["language"] == "fr"
        assert french_config["texts"]["title"] == "Vos choix de confidentialité"
        german = client.get("/v1/consent/config", params={"lang": "de"}).json()
        assert german["texts"] == TEXTS["de"]


@pytest.mark.parametrize(("text", "named"), [
    ("en:\n  titel: Hallo\n", "en.titel: no such text"),
    ("en:\n  title: ''\n", "en.title: a text is a non-empty string"),
    ("en:\n  title: [a, b]\n", "en.title: a text is a non-empty string"),
    ("fr:\n  title: Vos choix\n", "fr: a new language gives every text; missing"),
    ("'english!':\n  title: x\n", "'english!' is not a language code"),
    ("- en\n", "expected languages at the top"),
    ("en: [title]\n", "en: expected texts"),
    (f"en:\n  title: {'x' * 2001}\n", "en.title: 2001 characters; at most 2000"),
    ("en: {title: 'unclosed\n", "is not YAML"),
])
def test_a_bad_texts_file_is_refused_naming_what_is_wrong(tmp_path: Path, text: str, named: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match="texts") as caught:
        load_texts(str(path))
    assert named in caught.value.message and str(path) in caught.value.message


def test_a_missing_texts_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read .*nowhere.yaml"):
        load_texts(str(tmp_path / "nowhere.yaml"))


def test_the_service_does_not_start_on_a_bad_texts_file(tmp_path: Path, datamap: DataMap) -> None:
    path = write(tmp_path, "en:\n  titel: Hallo\n")
    with pytest.raises(ConfigError, match="en.titel"):
        app_with_texts(tmp_path, datamap, path)

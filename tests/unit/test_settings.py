from __future__ import annotations

import os

import pytest

from wanvideo.providers import PROVIDERS
from wanvideo.settings import SettingsError, load_settings

SECRET = "sk-test-0123456789abcdefghijklmnop"


def test_demo_by_default_and_evolink_with_a_key():
    assert load_settings({}).provider == "demo"
    assert load_settings({"WAN_API_KEY": SECRET}).provider == "evolink"
    assert load_settings({"WAN_API_KEY": SECRET, "WAN_PROVIDER": "ODKKK"}).provider == "odkkk"


def test_key_is_never_shown():
    settings = load_settings({"WAN_API_KEY": SECRET})
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert SECRET not in settings.model_dump_json()
    assert settings.api_key.get_secret_value() == SECRET


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"WAN_PROVIDER": "acme"}, "WAN_PROVIDER"),
        ({"WAN_POLL_DEADLINE": "-5"}, "WAN_POLL_DEADLINE"),
        ({"WAN_MAX_RETRIES": "many"}, "WAN_MAX_RETRIES"),
        ({"WAN_API_BASE_URL": "api.example.com"}, "WAN_API_BASE_URL"),
        ({"WAN_ALLOW_PRIVATE_URLS": "perhaps"}, "WAN_ALLOW_PRIVATE_URLS"),
    ],
)
def test_wrong_values_name_the_setting(env, name):
    with pytest.raises(SettingsError) as info:
        load_settings({**env, "WAN_API_KEY": SECRET})
    assert name in str(info.value)
    assert SECRET not in str(info.value)


def test_overrides_and_types(tmp_path):
    settings = load_settings(
        {
            "WAN_API_BASE_URL": "http://127.0.0.1:9000/",
            "WAN_DATA_DIR": str(tmp_path),
            "WAN_ALLOW_PRIVATE_URLS": "true",
            "WAN_POLL_MIN_INTERVAL": "0.5",
        }
    )
    assert settings.api_base_url == "http://127.0.0.1:9000"
    assert settings.data_dir == tmp_path
    assert settings.videos_dir == tmp_path / "videos"
    assert settings.allow_private_urls is True
    assert settings.poll_min_interval == 0.5


def test_dotenv_is_read_and_environment_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("WAN_PROVIDER=odkkk\nWAN_DEMO_TASK_SECONDS=3\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WAN_PROVIDER", raising=False)
    monkeypatch.delenv("WAN_DEMO_TASK_SECONDS", raising=False)
    monkeypatch.setenv("WAN_DEMO_TASK_SECONDS", "7")
    settings = load_settings(dotenv=True)
    assert settings.provider == "odkkk"
    assert settings.demo_task_seconds == 7
    assert "WAN_PROVIDER" not in os.environ  # .env does not leak into the process


def test_profiles():
    assert set(PROVIDERS) >= {"evolink", "odkkk", "demo"}
    assert PROVIDERS["evolink"].durations == tuple(range(2, 11))
    assert PROVIDERS["odkkk"].durations == (5, 10)
    assert PROVIDERS["odkkk"].error_code_style == "integer"
    assert PROVIDERS["odkkk"].api_base_url == "https://ai.odkkk.com/apiv1"
    assert PROVIDERS["odkkk"].files_base_url == "https://files-api.t0ai.cn"
    assert PROVIDERS["evolink"].files_base_url == "https://files-api.evolink.ai"
    profile = PROVIDERS["evolink"].with_overrides(api_base_url="http://127.0.0.1:1")
    assert profile.api_base_url == "http://127.0.0.1:1"
    assert PROVIDERS["evolink"].api_base_url == "https://api.evolink.ai"


def test_every_setting_has_one_env_name_and_env_example_names_it():
    from pathlib import Path

    from wanvideo.settings import ENV_NAME_FOR_FIELD, Settings

    assert set(ENV_NAME_FOR_FIELD) == set(Settings.model_fields)
    assert ENV_NAME_FOR_FIELD["space_id"] == "SPACE_ID"  # set by Hugging Face, not WAN_SPACE_ID
    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    assert [name for name in ENV_NAME_FOR_FIELD.values() if name not in text] == []


def test_space_and_result_cap():
    settings = load_settings({"SPACE_ID": "me/app", "WAN_MAX_RESULT_MB": "5"})
    assert settings.on_space and settings.max_result_bytes == 5_000_000
    assert not load_settings({"WAN_SPACE_ID": "me/app"}).on_space
    with pytest.raises(SettingsError, match="WAN_MAX_RESULT_MB"):
        load_settings({"WAN_MAX_RESULT_MB": "0"})


@pytest.mark.parametrize("secret", ["tiny-s3cr3t", "short-secret", "a" * 31, "é" * 15])
def test_a_short_session_secret_stops_the_app(secret):
    with pytest.raises(SettingsError) as info:
        load_settings({"WAN_SESSION_SECRET": secret})
    assert "WAN_SESSION_SECRET" in str(info.value) and "32 bytes" in str(info.value)
    assert secret not in str(info.value)


def test_a_long_session_secret_is_kept():
    assert load_settings({"WAN_SESSION_SECRET": "a" * 32}).session_secret.get_secret_value() == "a" * 32
    assert load_settings({"WAN_SESSION_SECRET": "é" * 16}).session_secret is not None  # bytes, not characters
    assert load_settings({}).session_secret is None


def test_the_public_address_is_https_or_the_spaces_host():
    assert load_settings({}).public_base_url is None
    assert load_settings({"WAN_PUBLIC_URL": "https://video.example.com/"}).public_base_url == (
        "https://video.example.com"
    )
    assert load_settings({"SPACE_HOST": "me-app.hf.space"}).public_base_url == "https://me-app.hf.space"
    both = {"SPACE_HOST": "me-app.hf.space", "WAN_PUBLIC_URL": "https://studio.example.com/wan"}
    assert load_settings(both).public_base_url == "https://studio.example.com/wan"
    assert not load_settings({"WAN_SPACE_HOST": "me-app.hf.space"}).public_base_url
    for wrong in ("http://video.example.com", "http://127.0.0.1:7860", "ftp://x", "video.example.com"):
        with pytest.raises(SettingsError, match="WAN_PUBLIC_URL") as info:
            load_settings({"WAN_PUBLIC_URL": wrong})
        assert "https://" in str(info.value)
    # Plain http only for a loopback address, and only with the test switch on.
    loopback = {"WAN_PUBLIC_URL": "http://127.0.0.1:7860", "WAN_ALLOW_PRIVATE_URLS": "true"}
    assert load_settings(loopback).public_base_url == "http://127.0.0.1:7860"
    with pytest.raises(SettingsError, match="WAN_PUBLIC_URL"):
        load_settings({**loopback, "WAN_PUBLIC_URL": "http://video.example.com"})

"""Settings: defaults, TOML file, CTI_* environment variables; a wrong value is one clear line."""

import pytest

from cti.config import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("CTI_"):
            monkeypatch.delenv(key)


def test_defaults_suit_a_chinese_hotline_on_one_machine():
    s = load_settings()
    assert (s.default_region, s.timezone, s.language) == ("CN", "Asia/Shanghai", "zh")
    assert s.database_url == "sqlite+aiosqlite:///./var/cti.db"
    assert s.http_host == "127.0.0.1"
    assert s.embedded_pbx


def test_environment_overrides_toml_file(tmp_path, monkeypatch):
    toml = tmp_path / "cti.toml"
    toml.write_text('http_port = 9001\nlanguage = "en"\nami_host = "10.0.0.5"\n', encoding="utf-8")
    monkeypatch.setenv("CTI_HTTP_PORT", "9002")
    s = load_settings(str(toml))
    assert s.http_port == 9002
    assert s.language == "en"
    assert s.ami_host == "10.0.0.5" and not s.embedded_pbx


def test_outside_prefixes_are_a_comma_list(monkeypatch):
    monkeypatch.setenv("CTI_OUTSIDE_PREFIXES", "9, 0")
    assert load_settings().outside_prefixes == ("9", "0")


def test_plain_database_urls_get_the_async_driver(monkeypatch):
    monkeypatch.setenv("CTI_DATABASE_URL", "postgresql://u:p@db/cti")
    assert load_settings().database_url == "postgresql+asyncpg://u:p@db/cti"


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("CTI_TIMEZONE", "Mars/Olympus", "CTI_TIMEZONE: unknown time zone 'Mars/Olympus'"),
        ("CTI_DEFAULT_REGION", "XX", "CTI_DEFAULT_REGION: unknown region 'XX'"),
        ("CTI_LANGUAGE", "fr", "CTI_LANGUAGE: unsupported language 'fr'"),
        ("CTI_HTTP_PORT", "70000", "CTI_HTTP_PORT: Input should be less than or equal to 65535"),
        ("CTI_AMI_PORT", "five", "CTI_AMI_PORT: Input should be a valid integer"),
        ("CTI_DATABASE_URL", "mysql://x", "CTI_DATABASE_URL: use sqlite+aiosqlite:///path"),
    ],
)
def test_a_wrong_value_is_named_in_one_line(monkeypatch, var, value, message):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_config_file_is_reported(tmp_path):
    with pytest.raises(SettingsError, match="config file not found"):
        load_settings(str(tmp_path / "nope.toml"))


def test_unknown_key_in_toml_is_refused(tmp_path):
    toml = tmp_path / "cti.toml"
    toml.write_text("htp_port = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="CTI_HTP_PORT: unknown setting"):
        load_settings(str(toml))


def test_language_aliases_are_accepted(monkeypatch):
    monkeypatch.setenv("CTI_LANGUAGE", "zh_CN")
    assert load_settings().language == "zh"


def test_trusted_proxies_are_addresses_or_networks(monkeypatch):
    monkeypatch.setenv("CTI_TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16,2001:db8::/32")
    assert [str(n) for n in load_settings().trusted_proxies] == ["10.0.0.1/32", "10.1.0.0/16", "2001:db8::/32"]


def test_no_trusted_proxies_by_default():
    assert load_settings().trusted_proxies == ()


def test_trusted_proxies_from_a_toml_list(tmp_path):
    toml = tmp_path / "cti.toml"
    toml.write_text('trusted_proxies = ["127.0.0.1", "::1"]\n', encoding="utf-8")
    assert [str(n) for n in load_settings(str(toml)).trusted_proxies] == ["127.0.0.1/32", "::1/128"]


@pytest.mark.parametrize("value", ["proxy.example", "10.0.0.300", "10.0.0.1/8", "10.0.0.1;10.0.0.2"])
def test_a_wrong_trusted_proxy_is_named_in_one_line(monkeypatch, value):
    monkeypatch.setenv("CTI_TRUSTED_PROXIES", value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert message.startswith("CTI_TRUSTED_PROXIES: not an IP address or network: ")
    assert "\n" not in message


def test_exports_are_for_supervisors_managers_and_administrators_by_default():
    assert load_settings().export_roles == ("supervisor", "manager", "admin")


def test_an_unknown_export_role_is_named_in_one_line(monkeypatch):
    monkeypatch.setenv("CTI_EXPORT_ROLES", "supervisor,boss")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value) == "CTI_EXPORT_ROLES: unknown role 'boss'; use agent, engineer, supervisor, manager or admin"

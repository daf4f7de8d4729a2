"""The settings file (PRODUCT.md, "`backpain config`"): where it is, what it may hold, how it
is written, and what the commands make of it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from backpain_cli.errors import SettingsError, UsageError
from backpain_cli.records import settings, storage
from backpain_cli.records.settings import KEYS, Practice


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- where it is


def test_backpain_config_names_the_file(backpain_config: Path) -> None:
    assert settings.config_path() == backpain_config


def test_without_backpain_config_the_file_is_in_the_user_config_folder(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BACKPAIN_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert settings.config_path() == tmp_path / "xdg" / "backpain" / "config.toml"


def test_no_file_means_no_settings(backpain_config: Path) -> None:
    loaded = settings.load()
    assert (loaded.path, dict(loaded.values), loaded.exists) == (backpain_config, {}, False)
    assert loaded.practice == Practice()
    assert not loaded.practice
    assert not backpain_config.parent.exists()  # reading creates nothing


def test_every_key_is_read(backpain_config: Path) -> None:
    write_config(backpain_config, """\
practice_name = "Physio Nord"
practice_contact = "12 Harbour Road, Kiel · 0431 123456"
practitioner = "A. Jensen"
instruments = "odi"
data_dir = "~/backpain-data"
fhir_identifier_system = "https://physio-nord.example/id"
fhir_canonical_base = "https://physio-nord.example/fhir"
practice_id = "4f6c1d2e-8a3b-4c5d-9e0f-1a2b3c4d5e6f"
""")
    loaded = settings.load()
    assert tuple(loaded.values) == KEYS
    assert loaded.practice == Practice("Physio Nord", "12 Harbour Road, Kiel · 0431 123456",
                                       "A. Jensen")
    assert loaded.instruments == "odi"
    assert loaded.data_dir == Path.home() / "backpain-data"


# --------------------------------------------------------------------------- what it may hold

BROKEN = [
    ("practice_name = \"Physio", "not valid TOML (Unterminated string (at end of document))"),
    ("practise_name = \"Physio Nord\"\n",
     "unknown key 'practise_name'; the keys are practice_name, practice_contact, "
     "practitioner, instruments, data_dir, fhir_identifier_system, fhir_canonical_base, "
     "practice_id"),
    ("[practice]\nname = \"Physio Nord\"\n", "unknown key 'practice'; the keys are "
     "practice_name, practice_contact, practitioner, instruments, data_dir, "
     "fhir_identifier_system, fhir_canonical_base, practice_id"),
    ("practice_name = 3\n", "practice_name must be text"),
    ("practitioner = \"\"\n", "practitioner must not be empty"),
    ("practice_contact = \"line one\\nline two\"\n",
     "practice_contact must be one line (no line breaks or tabs)"),
    ("practice_name = \"Physio\\u001b[2J\"\n",
     "practice_name must not contain control characters (\\x1b)"),
    ("practice_name = \"Physio\\u202eNord\"\n",
     "practice_name must not contain control characters (\\u202e)"),
    (f"practice_name = \"{'x' * 201}\"\n",
     "practice_name must be at most 200 characters (it has 201)"),
    ("instruments = [\"odi\"]\n", "instruments must be text"),
    ("instruments = \"odi rmdq\"\n",
     "instruments must be instrument names separated by commas, such as \"odi\" or "
     "\"odi,rmdq\""),
    ("data_dir = \"relative/folder\"\n",
     "data_dir must be an absolute folder path, such as /srv/backpain or ~/backpain"),
    ("fhir_identifier_system = \"physio-nord\"\n",
     "fhir_identifier_system must be an absolute URI such as https://example.org/fhir or "
     "urn:..."),
    ("fhir_canonical_base = \"https://physio-nord.example/fhir/\"\n",
     "fhir_canonical_base must not end with /"),
    ("practice_id = \"not-a-uuid\"\n", "practice_id must be a UUID in lower case, such as "
     "4f6c1d2e-8a3b-4c5d-9e0f-1a2b3c4d5e6f"),
]


@pytest.mark.parametrize(("text", "reason"), BROKEN)
def test_a_broken_file_is_one_reason(backpain_config: Path, text: str, reason: str) -> None:
    write_config(backpain_config, text)
    with pytest.raises(SettingsError) as caught:
        settings.load()
    assert str(caught.value) == f"{backpain_config}: {reason}"


def test_a_file_that_is_not_utf8(backpain_config: Path) -> None:
    backpain_config.parent.mkdir()
    backpain_config.write_bytes(b'practice_name = "Praxis M\xfcller"\n')
    with pytest.raises(SettingsError, match=r"config\.toml: not UTF-8 text$"):
        settings.load()


def test_a_fifo_is_refused_without_blocking(backpain_config: Path) -> None:
    backpain_config.parent.mkdir()
    os.mkfifo(backpain_config)
    with pytest.raises(SettingsError) as caught:
        settings.load()
    assert str(caught.value) == (f"{backpain_config}: not a regular file (a FIFO, device "
                                 "or socket)")


def test_a_huge_file_is_refused(backpain_config: Path) -> None:
    write_config(backpain_config, "# " + "x" * 1_000_001 + "\n")
    with pytest.raises(SettingsError) as caught:
        settings.load()
    assert str(caught.value) == f"{backpain_config}: too large (over 1 MB)"


def test_a_folder_in_its_place(backpain_config: Path) -> None:
    backpain_config.mkdir(parents=True)
    with pytest.raises(SettingsError) as caught:
        settings.load()
    assert str(caught.value) == f"{backpain_config}: cannot read (Is a directory)"


def test_a_link_to_the_file_is_followed(backpain_config: Path, tmp_path: Path) -> None:
    real = write_config(tmp_path / "dotfiles" / "backpain.toml", 'practitioner = "A. Jensen"\n')
    backpain_config.parent.mkdir()
    backpain_config.symlink_to(real)
    assert settings.load().practice.practitioner == "A. Jensen"


def test_an_edit_is_seen_by_the_next_read(backpain_config: Path) -> None:
    write_config(backpain_config, 'practitioner = "A. Jensen"\n')
    assert settings.load().practice.practitioner == "A. Jensen"
    write_config(backpain_config, 'practitioner = "B. Larsen, who took over"\n')
    assert settings.load().practice.practitioner == "B. Larsen, who took over"


# --------------------------------------------------------------------------- writing


def test_set_writes_0600_in_a_new_0700_folder(backpain_config: Path) -> None:
    os.umask(0o022)
    settings.set_value("practice_name", "Physio Nord")
    assert mode(backpain_config) == 0o600
    assert mode(backpain_config.parent) == 0o700
    assert settings.load().practice.name == "Physio Nord"
    assert backpain_config.read_text(encoding="utf-8").endswith(
        'practice_name = "Physio Nord"\n')


def test_set_leaves_an_existing_folder_as_it_is(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    monkeypatch.setenv("BACKPAIN_CONFIG", str(shared / "backpain.toml"))
    settings.set_value("practitioner", "A. Jensen")
    assert mode(shared) == 0o755
    assert mode(shared / "backpain.toml") == 0o600


def test_set_keeps_the_other_keys_in_the_contract_order(backpain_config: Path) -> None:
    write_config(backpain_config, 'practitioner = "A. Jensen"\ninstruments = "odi"\n')
    settings.set_value("practice_name", "Physio Nord")
    assert list(settings.load().values.items()) == [
        ("practice_name", "Physio Nord"), ("practitioner", "A. Jensen"), ("instruments", "odi")]


def test_set_through_a_link_replaces_the_file_it_points_to(backpain_config: Path,
                                                            tmp_path: Path) -> None:
    real = write_config(tmp_path / "dotfiles" / "backpain.toml", 'practitioner = "A. Jensen"\n')
    backpain_config.parent.mkdir()
    backpain_config.symlink_to(real)
    settings.set_value("practice_name", "Physio Nord")
    assert backpain_config.is_symlink()
    assert 'practice_name = "Physio Nord"' in real.read_text(encoding="utf-8")


def test_set_does_not_overwrite_a_broken_file(backpain_config: Path) -> None:
    write_config(backpain_config, "practice_name = 'Physio\n")
    with pytest.raises(SettingsError):
        settings.set_value("practitioner", "A. Jensen")
    assert backpain_config.read_text(encoding="utf-8") == "practice_name = 'Physio\n"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("practise_name", "Physio Nord", "unknown key 'practise_name'; the keys are "
     "practice_name, practice_contact, practitioner, instruments, data_dir, "
     "fhir_identifier_system, fhir_canonical_base, practice_id"),
    ("practice_contact", "a\tb", "practice_contact must be one line (no line breaks or tabs)"),
    ("fhir_identifier_system", "https://x.example/id|1",
     "fhir_identifier_system must not contain |"),
])
def test_set_refuses_a_wrong_key_or_value(backpain_config: Path, key: str, value: str,
                                          message: str) -> None:
    with pytest.raises(UsageError) as caught:
        settings.set_value(key, value)
    assert str(caught.value) == message
    assert not backpain_config.exists()


def test_unset(backpain_config: Path) -> None:
    write_config(backpain_config, 'practitioner = "A. Jensen"\ninstruments = "odi"\n')
    after, was_set = settings.unset("instruments")
    assert (dict(after.values), was_set) == ({"practitioner": "A. Jensen"}, True)
    assert settings.unset("instruments")[1] is False
    assert dict(settings.load().values) == {"practitioner": "A. Jensen"}


def test_the_practice_id_is_created_once_and_kept(backpain_config: Path) -> None:
    first = settings.practice_id()
    assert settings.value_problem("practice_id", first) is None
    assert settings.practice_id() == first
    assert settings.load().get("practice_id") == first
    assert mode(backpain_config) == 0o600


def test_fhir_names_default_to_the_practice_namespace(backpain_config: Path) -> None:
    system, base = settings.fhir_names()
    practice = settings.load().get("practice_id")
    assert system == base == f"urn:backpain:practice:{practice}"
    settings.set_value("fhir_canonical_base", "https://physio-nord.example/fhir")
    assert settings.fhir_names() == (system, "https://physio-nord.example/fhir")


def test_configured_fhir_names_need_no_practice_id(backpain_config: Path) -> None:
    write_config(backpain_config, 'fhir_identifier_system = "https://physio-nord.example/id"\n'
                                  'fhir_canonical_base = "https://physio-nord.example/fhir"\n')
    assert settings.fhir_names() == ("https://physio-nord.example/id",
                                     "https://physio-nord.example/fhir")
    assert settings.load().get("practice_id") is None


# --------------------------------------------------------------------------- the data folder


def test_backpain_home_wins_over_data_dir(backpain_config: Path, backpain_home: Path,
                                          tmp_path: Path) -> None:
    write_config(backpain_config, f'data_dir = "{tmp_path / "configured"}"\n')
    assert storage.data_dir_and_source() == (backpain_home, "$BACKPAIN_HOME")


def test_data_dir_without_backpain_home(backpain_config: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKPAIN_HOME")
    write_config(backpain_config, f'data_dir = "{tmp_path / "configured"}"\n')
    assert storage.data_dir_and_source() == (tmp_path / "configured", "data_dir in the settings")


def test_the_default_data_folder(backpain_config: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKPAIN_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    assert storage.data_dir_and_source() == (tmp_path / "xdg-data" / "backpain", "the default")


def test_a_broken_file_stops_what_needs_the_data_folder(backpain_config: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKPAIN_HOME")
    write_config(backpain_config, "data_dir = 7\n")
    with pytest.raises(SettingsError, match=r"config\.toml: data_dir must be text$"):
        storage.data_dir()

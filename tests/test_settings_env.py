"""Local development reads .env (written by the bootstrap); production, without one, stays
strict: DEBUG off and SECRET_KEY required."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SCRIPT = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def _settings_debug(env_file: Path, **env) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=ROOT,
        env=base
        | {"DJANGO_SETTINGS_MODULE": "config.settings", "WAYMARK_ENV_FILE": str(env_file)}
        | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_env_file_debug_is_off_and_secret_key_required(tmp_path):
    result = _settings_debug(tmp_path / "missing.env")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    result = _settings_debug(tmp_path / "missing.env", SECRET_KEY="k" * 60)
    assert result.stdout.strip() == "False"


def test_env_file_turns_development_on_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# local\nDEBUG=1\n\nexport LOG_LEVEL='WARNING'\n")
    assert _settings_debug(env_file).stdout.strip() == "True"
    assert _settings_debug(env_file, DEBUG="0", SECRET_KEY="k" * 60).stdout.strip() == "False"


def test_malformed_env_file_names_the_line(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nnot a setting\n")
    result = _settings_debug(env_file)
    assert result.returncode != 0
    assert f"{env_file}, line 2: expected NAME=value." in result.stderr

"""Settings resolved once from the environment, then ``.streamlit/secrets.toml``, then defaults.

The order matters for operators: an environment variable always wins so one deployment can point the
same checkout at Postgres without editing files, and secrets.toml is the Streamlit-native place for the
rest. Values are declared once below as (name, default, help), in the manner of datasette's settings.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
#: The shipped OFL CJK subset (TrueType outlines): word clouds and PDF reports draw Chinese with it on a
#: machine set up by pip alone (see data/fonts/README.md).
CJK_FONT = DATA_DIR / "fonts" / "NotoSansSC-Regular-subset.ttf"
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Setting:
    """One configurable value: where it may come from and what it is for."""

    name: str  # key in secrets.toml (top level)
    env: str  # environment variable that overrides it
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", "CEM_DATABASE_URL", f"sqlite:///{DATA_DIR / 'cem.db'}",
            "SQLAlchemy URL; sqlite:///path or postgresql+psycopg://user@host/db"),
    Setting("default_language", "CEM_LANGUAGE", "zh", "Language shown before a user picks one: zh or en"),
    Setting("demo_rows", "CEM_DEMO_ROWS", "20000",
            "Responses of demo data loaded on first start into an empty database (0 turns it off)"),
    Setting("demo_industry", "CEM_DEMO_INDUSTRY", "hotel", "Industry template of the first-start demo data"),
    Setting("pii_hash_key", "CEM_PII_HASH_KEY", "",
            "Secret for keyed hashes of phones/emails; empty: generated once into the key file (pii_key_file)"),
    Setting("pii_key_file", "CEM_PII_KEY_FILE", "",
            "File holding the generated PII hash key, outside the database; empty: <database file>.pii_key "
            "beside a SQLite database, data/.pii_hash_key for Postgres"),
    Setting("admin_user", "CEM_ADMIN_USER", "", "First admin's username, created on start when no user exists"),
    Setting("admin_password", "CEM_ADMIN_PASSWORD", "",
            "First admin's password (at least 10 characters); without it a one-time setup screen asks"),
    Setting("session_idle_minutes", "CEM_SESSION_IDLE_MINUTES", "60", "Sign out after this many idle minutes"),
    Setting("session_max_hours", "CEM_SESSION_MAX_HOURS", "12", "Sign out this many hours after sign-in"),
    Setting("default_phone_region", "CEM_PHONE_REGION", "CN",
            "Region (ISO 3166 code) of phone numbers written without a country code, for matching customers"),
    Setting("sso_role_claim", "CEM_SSO_ROLE_CLAIM", "",
            "OIDC claim holding a role name (e.g. roles or groups); empty: roles only from the users page"),
    Setting("import_wait_minutes", "CEM_IMPORT_WAIT_MINUTES", "30",
            "SQLite: how long an import waits for the one in progress before giving up (exit code 4)"),
)


def _secrets() -> dict[str, object]:
    if not SECRETS_PATH.exists():
        return {}
    with SECRETS_PATH.open("rb") as fh:
        return tomllib.load(fh)


def get_setting(name: str) -> str:
    """Resolve one setting: environment, then secrets.toml, then the declared default."""
    setting = next(s for s in SETTINGS if s.name == name)
    if os.environ.get(setting.env):
        return os.environ[setting.env]
    value = _secrets().get(name)
    return str(value) if value not in (None, "") else setting.default


def database_url() -> str:
    """The database URL; a relative sqlite path is taken from the project root, not the cwd."""
    url = get_setting("database_url")
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        url = prefix + str(PROJECT_ROOT / url[len(prefix):])
    return url


def default_language() -> str:
    lang = get_setting("default_language")
    return lang if lang in LANGUAGES else "zh"


def secret_table(table: str) -> dict[str, str]:
    """A table of secrets.toml (e.g. ``[smtp]``, ``[alert_secrets]``), each key overridable by the environment
    variable ``CEM_<TABLE>_<KEY>`` (upper case). Values are for sending only, never for logs or the database."""
    found = _secrets().get(table)
    values = {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
    prefix = f"CEM_{table.upper()}_"
    for name, value in os.environ.items():
        if name.startswith(prefix) and value:
            values[name[len(prefix):].lower()] = value
    return values

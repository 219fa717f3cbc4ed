"""The one settings model: environment variables only, validated against the role profiles.

``load_settings(environ)`` is the only way in. It reads exactly the variables the model names from
the given mapping (``os.environ`` by default) and never a ``.env`` file, a secrets directory or
any other source, so what an operator's PowerShell session exports is what the process runs
with. An empty value counts as unset (PowerShell cannot export an empty variable anyway).

Every refusal is a ``ConfigError`` whose message is ONE line naming the variable, the value it
needs and why; a secret's value never appears in it (docs/CONFIGURATION.md).

    model.py    Settings: core variables, their validators, the role profiles
    knobs.py    TradingKnobs, the env-only base: risk and strategy knobs
    parsing.py  one parser per kind of value, raising the one-line SettingValueError
    loading.py  load_settings / env_names, and the one-line message
"""

from btcbot.settings.loading import env_names, load_settings
from btcbot.settings.model import LIVE_TRADING_ACK_PHRASE, SECRET_VARIABLES, Settings

__all__ = ["LIVE_TRADING_ACK_PHRASE", "SECRET_VARIABLES", "Settings", "env_names", "load_settings"]

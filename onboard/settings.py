"""Settings live on the ground floor (``core.settings``); this name stays for the command line's imports."""

from core.settings import SIM_SECRET, SIM_USER, ConfigError, Settings, load_settings

__all__ = ["SIM_SECRET", "SIM_USER", "ConfigError", "Settings", "load_settings"]

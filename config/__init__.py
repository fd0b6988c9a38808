"""Settings: one typed object, loaded from TOML, with a default for every key."""

from .settings import (
    CONFIG_ENV_VAR,
    ConfigError,
    CrawlSettings,
    DeadSettings,
    EmailRoute,
    EmailSettings,
    EvidenceSettings,
    NotifierSettings,
    PluginSettings,
    ScheduleSettings,
    Settings,
    StorageSettings,
    WaybackSettings,
    load_settings,
    parse_duration,
    settings_from_dict,
)

__all__ = [
    "CONFIG_ENV_VAR",
    "ConfigError",
    "CrawlSettings",
    "DeadSettings",
    "EmailRoute",
    "EmailSettings",
    "EvidenceSettings",
    "NotifierSettings",
    "PluginSettings",
    "ScheduleSettings",
    "Settings",
    "StorageSettings",
    "WaybackSettings",
    "load_settings",
    "parse_duration",
    "settings_from_dict",
]

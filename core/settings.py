"""Every setting in one typed place, from the environment (``ONBOARD_...``) or a ``.env`` file.

Secrets come only from the environment or secret files and are masked wherever settings are shown.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError
from core.limits import Limits

# The shipped partner list beside the catalog (``data/``); a path, not an import: core imports no layer.
DEFAULT_PARTNERS = Path(__file__).resolve().parent.parent / "data" / "partners.csv"
SIM_USER = "onboard"
SIM_SECRET = "sim-secret-not-for-production"  # noqa: S105 - the simulators' default credential, loopback only


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ONBOARD_", env_file=".env", extra="ignore", secrets_dir=os.environ.get("ONBOARD_SECRETS_DIR")
    )

    home: Path = Path("var")
    broadworks_url: str | None = None
    broadworks_user: str = SIM_USER
    broadworks_password: SecretStr = SecretStr(SIM_SECRET)
    billing_url: str | None = None
    billing_client_id: str = SIM_USER
    billing_client_secret: SecretStr = SecretStr(SIM_SECRET)
    tickets_url: str | None = None
    tickets_token: SecretStr = SecretStr(SIM_SECRET)
    smtp_url: SecretStr | None = None
    mail_from: str = "onboarding@localhost"
    concurrency: int = Field(default=4, ge=1, le=256)
    secret_key: SecretStr | None = None
    ocip_requests: Literal["classic", "consolidated"] = "classic"
    # ONBOARD_ID_SCHEME (issue 19): ``derived`` ids from partner + account (default), or the operator's
    # ``numeric`` convention, an assumption from its public support pages (not in our documents):
    # enterprise EEEEE, group EEEEEGGGGG, numbers from counters in staging committed before first use
    id_scheme: Literal["derived", "numeric"] = "derived"
    nightly_cron: str = "0 2 * * *"
    timezone: str = "America/New_York"
    partners: Path | None = None
    http_timeout: float = Field(default=10.0, gt=0)
    chunk_size: int = Field(default=500, ge=1)
    sim_fault_rate: float = Field(default=0.0, ge=0, le=1)
    sim_commit_timeout_rate: float = Field(default=0.0, ge=0, le=1)
    sim_latency_ms: float = Field(default=0.0, ge=0)
    sim_journal_dir: Path | None = None
    sim_token_life: float = Field(default=1800.0, gt=0)
    # input limits checked before any reader sees a file (transforms.guard; issue 14)
    max_unzipped_mb: int = Field(default=Limits.max_unzipped_mb, ge=1)
    max_cells: int = Field(default=Limits.max_cells, ge=1)

    @field_validator("broadworks_url", "billing_url", "tickets_url", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @property
    def partners_file(self) -> Path:
        return self.partners or DEFAULT_PARTNERS

    def external_mode(self) -> bool:
        """True when real (or separately started) systems are configured; False: embedded simulators.

        Either every system's URL is set or none: a half-configured run would send real customers to
        one system and simulated ones to the other.
        """
        urls = {"ONBOARD_BROADWORKS_URL": self.broadworks_url, "ONBOARD_BILLING_URL": self.billing_url,
                "ONBOARD_TICKETS_URL": self.tickets_url}
        given = [k for k, v in urls.items() if v]
        if given and len(given) != len(urls):
            missing = [k for k, v in urls.items() if not v]
            raise ConfigError(
                f"{', '.join(given)} set but {', '.join(missing)} not: set the URLs of every system, "
                "or none to use the embedded simulators"
            )
        return bool(given)

    def limits(self) -> Limits:
        return Limits(max_unzipped_mb=self.max_unzipped_mb, max_cells=self.max_cells)

    def masked(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                out[name] = "***" if value.get_secret_value() else ""
            else:
                out[name] = "" if value is None else str(value)
        return out


def load_settings() -> Settings:
    return Settings()

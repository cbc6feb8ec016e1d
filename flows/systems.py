"""The external systems of one run: real endpoints from settings, or the embedded simulators.

With no URLs configured, the simulators start on loopback inside this process, their state in files
under the data home (``sim/``), so they outlive the run the way real systems do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from connectors.billing.client import BillingClient
from connectors.billing.simulator import BillingSim
from connectors.broadworks.client import OcipClient
from connectors.broadworks.simulator import BroadWorksSim
from connectors.common.simhttp import Faults, RunningSim, start_sim
from connectors.mail import Mailer, mailer_from_url
from connectors.tickets.client import TicketsClient
from connectors.tickets.simulator import TicketsSim
from core.order import AUTO_PACKAGES
from core.settings import Settings
from data.catalog import load_catalog

OCIP_PATH = "/webservice/services/ProvisioningService"


def billing_packages() -> list[str]:
    """Every package the billing system must know: the catalog's plus the three auto-added ones."""
    return sorted({p.billing_package for p in load_catalog().lines} | set(AUTO_PACKAGES))


@dataclass
class Systems:
    broadworks: OcipClient
    billing: BillingClient
    tickets: TicketsClient
    mailer: Mailer
    sims: dict[str, RunningSim] = field(default_factory=dict)
    embedded: bool = False

    def close(self) -> None:
        for closer in (self.broadworks.close, self.billing.close, self.tickets.close):
            closer()


def sim_faults(settings: Settings) -> Faults:
    return Faults(
        latency_ms=settings.sim_latency_ms,
        fault_rate=settings.sim_fault_rate,
        commit_timeout_rate=settings.sim_commit_timeout_rate,
    )


def _journal(settings: Settings, system: str) -> Path | None:
    return settings.sim_journal_dir / f"{system}.jsonl" if settings.sim_journal_dir else None


def start_simulators(home: Path, settings: Settings, faults: Callable[[], Faults] | None = None) -> dict[str, RunningSim]:
    """Start the three simulators on loopback with state under ``home/sim``."""
    sim_dir = home / "sim"
    sim_dir.mkdir(parents=True, exist_ok=True)
    make = faults or (lambda: sim_faults(settings))
    sims: dict[str, RunningSim] = {}
    try:
        sims["broadworks"] = start_sim(
            BroadWorksSim(
                sim_dir / "broadworks.sqlite",
                settings.broadworks_user,
                settings.broadworks_password.get_secret_value(),
                journal=_journal(settings, "broadworks"),
            ),
            make(),
        )
        sims["billing"] = start_sim(
            BillingSim(
                sim_dir / "billing.sqlite",
                settings.billing_client_id,
                settings.billing_client_secret.get_secret_value(),
                packages=billing_packages(),
                token_life=settings.sim_token_life,
                journal=_journal(settings, "billing"),
            ),
            make(),
        )
        sims["tickets"] = start_sim(
            TicketsSim(
                sim_dir / "tickets.sqlite",
                settings.tickets_token.get_secret_value(),
                journal=_journal(settings, "tickets"),
            ),
            make(),
        )
    except BaseException:
        for s in sims.values():
            s.stop()
        raise
    return sims


@contextmanager
def open_systems(home: Path, settings: Settings) -> Iterator[Systems]:
    """Clients for every system; starts (and stops) the embedded simulators when no URL is set."""
    with ExitStack() as stack:
        if settings.external_mode():
            bw_url = str(settings.broadworks_url)
            billing_url = str(settings.billing_url)
            tickets_url = str(settings.tickets_url)
            sims: dict[str, RunningSim] = {}
        else:
            sims = start_simulators(home, settings)
            for s in sims.values():
                stack.callback(s.stop)
            bw_url = sims["broadworks"].base_url + OCIP_PATH
            billing_url = sims["billing"].base_url
            tickets_url = sims["tickets"].base_url
        systems = Systems(
            broadworks=OcipClient(
                bw_url,
                settings.broadworks_user,
                settings.broadworks_password.get_secret_value(),
                concurrency=settings.concurrency,
                timeout=settings.http_timeout,
            ),
            billing=BillingClient(
                billing_url,
                settings.billing_client_id,
                settings.billing_client_secret.get_secret_value(),
                timeout=settings.http_timeout,
            ),
            tickets=TicketsClient(tickets_url, settings.tickets_token.get_secret_value(), timeout=settings.http_timeout),
            mailer=mailer_from_url(
                settings.smtp_url.get_secret_value() if settings.smtp_url else None, home / "mail"
            ),
            sims=sims,
            embedded=not settings.external_mode(),
        )
        stack.callback(systems.close)
        yield systems

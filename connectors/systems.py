"""The one ``Systems`` factory: clients (and provisioners) for every external system of a run.

Real endpoints come from settings; with no URLs configured, the simulators start on loopback inside
this process, their state in files under the data home (``sim/``), so they outlive the run the way
real systems do. The flow's thread (``open_systems``) and Dask workers (``connect``, given the
endpoints the flow hands them) build their clients and provisioners here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from connectors.billing.client import BillingClient
from connectors.billing.provision import BillingProvisioner
from connectors.billing.simulator import BillingSim
from connectors.broadworks.client import OcipClient
from connectors.broadworks.provision import AdminCallback as AdminCredentials
from connectors.broadworks.provision import BroadWorksProvisioner, OcipRequests
from connectors.broadworks.simulator import BroadWorksSim
from connectors.common.simhttp import Faults, RunningSim, start_sim
from connectors.mail import Mailer, mailer_from_url
from connectors.tickets.client import TicketsClient
from connectors.tickets.provision import TicketsProvisioner
from connectors.tickets.simulator import TicketsSim
from core.order import AUTO_PACKAGES, Provisioner
from core.settings import Settings
from data.catalog import load_catalog

OCIP_PATH = "/webservice/services/ProvisioningService"


class _NoMail:
    """A worker's systems send no mail: credentials go to its outbox file, the flow's thread sends them."""

    def send(self, message: EmailMessage) -> None:
        raise RuntimeError("this process has no mailer: mail is sent from the flow's outbox")


NO_MAIL: Mailer = _NoMail()


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
    ocip_requests: OcipRequests = "classic"  # ONBOARD_OCIP_REQUESTS

    def close(self) -> None:
        for closer in (self.broadworks.close, self.billing.close, self.tickets.close):
            closer()


    def endpoints(self) -> dict[str, str]:
        """The URLs a worker process connects to (``connect``): the same systems, its own sessions."""
        return {"broadworks": self.broadworks.url, "billing": self.billing.base_url, "tickets": self.tickets.base_url}

    def provisioners(self, on_admin_credentials: AdminCredentials, *,
                     broadworks: OcipClient | None = None) -> list[tuple[str, Provisioner]]:
        """One provisioner per system, in the order a customer goes through them; ``broadworks``: the
        client the BroadWorks provisioner sends with (a chunk's ``SharedDocuments``), else ours."""
        return [
            ("broadworks", BroadWorksProvisioner(
                broadworks or self.broadworks, on_admin_credentials=on_admin_credentials, requests=self.ocip_requests,
                parallel_steps=broadworks is not None,  # a chunk's shared documents: independent steps at once
            )),
            ("billing", BillingProvisioner(self.billing)),
            ("tickets", TicketsProvisioner(self.tickets)),
        ]


def connect(endpoints: Mapping[str, str], settings: Settings, *, mailer: Mailer | None = None,
            sims: dict[str, RunningSim] | None = None, embedded: bool = False,
            concurrency: int | None = None) -> Systems:
    """Clients for the systems at ``endpoints`` (keys broadworks, billing, tickets), with settings' credentials."""
    return Systems(
        broadworks=OcipClient(
            endpoints["broadworks"],
            settings.broadworks_user,
            settings.broadworks_password.get_secret_value(),
            concurrency=concurrency or settings.concurrency,
            timeout=settings.http_timeout,
        ),
        billing=BillingClient(
            endpoints["billing"],
            settings.billing_client_id,
            settings.billing_client_secret.get_secret_value(),
            timeout=settings.http_timeout,
        ),
        tickets=TicketsClient(endpoints["tickets"], settings.tickets_token.get_secret_value(), timeout=settings.http_timeout),
        mailer=mailer or NO_MAIL,
        sims=sims or {},
        embedded=embedded,
        ocip_requests=settings.ocip_requests,
    )


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
        systems = connect(
            {"broadworks": bw_url, "billing": billing_url, "tickets": tickets_url}, settings,
            mailer=mailer_from_url(settings.smtp_url.get_secret_value() if settings.smtp_url else None, home / "mail"),
            sims=sims, embedded=not settings.external_mode(),
        )
        stack.callback(systems.close)
        yield systems

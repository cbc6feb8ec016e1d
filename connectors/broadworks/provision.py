"""Provision one customer in BroadWorks: enterprise, services, service packs, group 1, DIDs, admin.

Every step looks before it leaps: one Get document (7 Gets, one round trip) reads what exists, each
step sends only what is missing, and a lost answer (in doubt) is settled by reading again before
anything is re-sent. Steps the ledger already holds as done are skipped without any request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from connectors.broadworks import commands as C
from connectors.broadworks import follow_on, step_levels
from connectors.broadworks import provision_consolidated as consolidated
from connectors.broadworks.client import OcipClient, error_of
from connectors.broadworks.ocip import Command, OciResponse
from connectors.broadworks.service_plan import ServicePlan, generate_password, plan_services, short, steps_with_work
from connectors.broadworks.state import CustomerState, enterprise_exists, read_state
from connectors.common.errors import InDoubtError, TerminalError, TransientError
from connectors.common.retry import call_with_retry
from core.order import CustomerOrder, StepEvent, StepRecorder, SystemResult

SYSTEM = "broadworks"
STEPS = (
    "enterprise",  # ServiceProviderAddRequest13mp2 (consolidated: ServiceProviderConsolidatedAddRequest)
    "enterprise_services",  # ServiceProviderServiceModifyAuthorizationListRequest
    "service_packs",  # ServiceProviderServicePackAddRequest, one per seat package
    "group",  # GroupAddRequest (consolidated: GroupConsolidatedAddRequest)
    "group_services_authorized",  # GroupServiceModifyAuthorizationListRequest
    "group_services_assigned",  # GroupServiceAssignListRequest
    "numbers_added",  # ServiceProviderDnAddListRequest
    "numbers_assigned",  # GroupDnAssignListRequest
    "calling_line_id",  # GroupModifyRequest
    "admin",  # ServiceProviderAdminAddRequest14 (or ...AdminModifyRequest for a fresh password)
)

AdminCallback = Callable[[CustomerOrder, str, str], None]
OcipRequests = Literal["classic", "consolidated"]  # ONBOARD_OCIP_REQUESTS (DESIGN §6, §7)


class _StepFailed(Exception):
    pass


@dataclass
class _Run:
    order: CustomerOrder
    done: Mapping[str, str | None]
    record: StepRecorder
    plan: ServicePlan
    state: CustomerState | None = None
    ids: dict[str, str] = field(default_factory=dict)
    admin_password: str | None = field(default=None, repr=False)
    admin_notified: str | None = field(default=None, repr=False)
    admin_set: bool = False
    pack_qty: dict[str, int | None] | None = None  # existing packs' quantities (follow-ons), read once per state
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # the first state read


class BroadWorksProvisioner:
    system = SYSTEM

    def __init__(
        self, client: OcipClient, *, on_admin_credentials: AdminCallback, requests: OcipRequests = "classic",
        parallel_steps: bool = False,
    ) -> None:
        """``parallel_steps``: independent steps of a customer go out together (``step_levels``), for a
        chunk's shared documents; otherwise one step after the other, in ``STEPS`` order."""
        self.client = client
        self.parallel_steps = parallel_steps
        self.on_admin_credentials = on_admin_credentials
        if requests not in ("classic", "consolidated"):
            raise ValueError(f"ocip requests must be classic or consolidated, not {requests!r}")
        self.requests = requests
        self._absent: set[str] = set()
        self._absent_lock = threading.Lock()

    def looked_up_absent(self, enterprise_id: str) -> None:
        """The caller has just read (a list request, e.g. the CUSTOMER_EXISTS check) that this enterprise
        does not exist: the customer's first look-up is spared; every later one reads BroadWorks again."""
        with self._absent_lock:
            self._absent.add(enterprise_id)

    def _take_absent(self, enterprise_id: str) -> bool:
        with self._absent_lock:
            if enterprise_id in self._absent:
                self._absent.discard(enterprise_id)
                return True
            return False

    def provision(self, order: CustomerOrder, done: Mapping[str, str | None], record: StepRecorder) -> SystemResult:
        run = _Run(order, done, record, plan_services(order))
        try:
            if self.parallel_steps:
                # a Consolidated group add, and a follow-on's group, authorize the enterprise's packs and
                # services to the group: they go after the enterprise-level steps that make or raise them
                late = self.requests == "consolidated" or order.follow_on
                for level in step_levels.levels(STEPS, group_after_enterprise_steps=late):
                    # the admin on the customer's own thread: its credentials go to the outbox through
                    # that thread's cursor (``on_admin_credentials``), not a cursor of a passing thread
                    step_levels.run_level(level, lambda step: self._step(run, step), here="admin")
            else:
                for step in STEPS:
                    self._step(run, step)
        except _StepFailed as exc:
            return SystemResult(order.account, SYSTEM, "failed", dict(run.ids), error=str(exc))
        return SystemResult(order.account, SYSTEM, "done", dict(run.ids))

    # ------------------------------------------------------------ step machinery

    def _state(self, run: _Run, *, fresh: bool = False) -> CustomerState:
        if run.state is None and not fresh:
            with run.lock:  # steps running at once read it once
                return self._read_state(run, fresh=False)
        return self._read_state(run, fresh=fresh)

    def _read_state(self, run: _Run, *, fresh: bool) -> CustomerState:
        if run.state is None and not fresh and (
            self._take_absent(run.order.enterprise_id) or not enterprise_exists(self.client, run.order.enterprise_id)
        ):
            # An enterprise that does not exist holds nothing (no packs, group, numbers or admins):
            # one list request (which a chunk's shared documents pack 15 to a document) instead of the
            # nine-command read. Any refusal later reads everything again (fresh).
            run.state = CustomerState()
            run.pack_qty = None
            follow_on.must_exist(run.order, run.state.sp_exists, run.state.group)  # a follow-on's is refused
        elif run.state is None or fresh:
            run.state = read_state(self.client, run.order.enterprise_id, run.order.group_id)
            run.pack_qty = None
            follow_on.must_exist(run.order, run.state.sp_exists, run.state.group)
        return run.state

    def _event(self, run: _Run, step: str, status: str, **kw: object) -> None:
        run.record(StepEvent(run.order.account, SYSTEM, step, status, **kw))  # type: ignore[arg-type]

    def _step(self, run: _Run, step: str) -> None:
        build: Callable[[_Run, CustomerState], list[Command]] = getattr(self, f"_build_{step}")
        apply: Callable[[_Run, CustomerState], None] = getattr(self, f"_apply_{step}")
        if self.requests == "consolidated" and step in consolidated.CONSOLIDATED_STEPS:
            build, apply = getattr(self, f"_build_{step}_consolidated"), getattr(self, f"_apply_{step}_consolidated")
        ext = self._external_id(run, step)
        if step in run.done:
            if run.done[step] or ext:
                run.ids[step] = run.done[step] or ext or ""
            return
        self._event(run, step, "pending")
        attempts = 0

        def attempt() -> bool:
            nonlocal attempts
            refused: list[Command] | None = None
            first: tuple[Command, OciResponse] | None = None
            for pass_no in (1, 2):
                cmds = build(run, self._state(run))
                if not cmds:
                    return True
                if cmds == refused:
                    break  # the look-up changed nothing: sending the refused request again cannot help
                attempts += 1
                if step == "admin" and run.admin_password is not None and run.admin_notified != run.admin_password:
                    # Hand the credentials over BEFORE they exist in BroadWorks, so a crash between
                    # the add and the mail can never lose them.
                    self.on_admin_credentials(run.order, run.order.admin_user_id, run.admin_password)
                    run.admin_notified = run.admin_password
                answers = self.client.send(cmds)
                errors = [(c, r) for c, r in zip(cmds, answers, strict=True) if r.is_error]
                if not errors:
                    apply(run, self._state(run))
                    return True
                if pass_no == 1:
                    # Refused, for whatever reason and under whatever number: look up what exists
                    # now (another run may have created it), then decide; never resend blindly.
                    refused, first = cmds, errors[0]
                    self._state(run, fresh=True)
                    continue
                first = errors[0]
                break
            assert first is not None  # the loop only ends here after a refusal
            cmd, resp = first
            raise error_of(resp, cmd.type)

        def settle() -> bool | None:
            # The answer was lost: read again; nothing left to send means it was applied.
            return True if not build(run, self._state(run, fresh=True)) else None

        try:
            if self._has_work(run, step):
                call_with_retry(attempt, self.client.policy, stats=self.client.stats, on_in_doubt=settle)
        except InDoubtError as exc:
            self._event(run, step, "in_doubt", error=str(exc), attempts=max(attempts, 1))
            raise _StepFailed(f"{step}: {exc}") from exc
        except (TerminalError, TransientError) as exc:
            self._event(run, step, "failed", error=str(exc), attempts=max(attempts, 1))
            raise _StepFailed(f"{step}: {exc}") from exc
        if ext:
            run.ids[step] = ext
        self._event(run, step, "done", external_id=ext, attempts=max(attempts, 1))

    def _has_work(self, run: _Run, step: str) -> bool:
        """Steps with nothing to ask for are done without reading or sending anything."""
        return steps_with_work(run.plan, run.order).get(step, True)

    def _external_id(self, run: _Run, step: str) -> str | None:
        o, p = run.order, run.plan
        return {
            "enterprise": o.enterprise_id,
            "group": o.group_id,
            "service_packs": ";".join(sorted(p.packs)) or None,
            "numbers_assigned": None,
            "calling_line_id": p.main if p.main in p.numbers else None,
            "admin": o.admin_user_id or None,
        }.get(step)

    # ------------------------------------------------------------ steps: build (what is missing) / apply

    def _build_enterprise(self, run: _Run, st: CustomerState) -> list[Command]:
        if st.sp_exists:
            return []
        o = run.order
        a = o.address
        return [
            C.sp_add(
                o.enterprise_id,
                o.default_domain,
                o.company or o.account,
                contact=C.contact_fields(f"{o.first_name} {o.last_name}".strip(), o.main_number, o.emails[0] if o.emails else ""),
                address=C.address_fields(a.line1, a.line2, a.city, a.state, a.zip, a.country),
            )
        ]

    def _apply_enterprise(self, run: _Run, st: CustomerState) -> None:
        st.sp_exists = True

    def _build_enterprise_consolidated(self, run: _Run, st: CustomerState) -> list[Command]:
        return consolidated.build_enterprise(run.order, run.plan, st)

    def _apply_enterprise_consolidated(self, run: _Run, st: CustomerState) -> None:
        consolidated.apply_enterprise(run.plan, st)

    def _build_group_consolidated(self, run: _Run, st: CustomerState) -> list[Command]:
        if st.group is not None:  # Add Services: only the user limit may need raising
            return follow_on.user_limit_raise(run.order, st.group)
        return consolidated.build_group(run.order, run.plan, st)

    def _apply_group_consolidated(self, run: _Run, st: CustomerState) -> None:
        if st.group is not None:
            self._apply_group(run, st)
            return
        consolidated.apply_group(run.order, run.plan, st)

    def _build_enterprise_services(self, run: _Run, st: CustomerState) -> list[Command]:
        g, u = short(run.plan.sp_group, st.sp_group), short(run.plan.sp_user, st.sp_user)
        return [C.sp_service_auth_modify(run.order.enterprise_id, g, u)] if g or u else []

    def _apply_enterprise_services(self, run: _Run, st: CustomerState) -> None:
        st.sp_group.update(short(run.plan.sp_group, st.sp_group))
        st.sp_user.update(short(run.plan.sp_user, st.sp_user))

    def _build_service_packs(self, run: _Run, st: CustomerState) -> list[Command]:
        adds = [
            C.sp_pack_add(run.order.enterprise_id, name, qty, services, description=name)
            for name, (qty, services) in run.plan.sp_packs.items()
            if name not in st.packs
        ]
        if not run.order.follow_on:
            return adds
        if run.pack_qty is None:
            existing = [n for n in run.plan.sp_packs if n in st.packs]
            run.pack_qty = follow_on.pack_quantities(self.client, run.order.enterprise_id, existing) if existing else {}
        return adds + follow_on.pack_raises(run.order, run.plan.sp_packs, run.pack_qty)

    def _apply_service_packs(self, run: _Run, st: CustomerState) -> None:
        st.packs |= set(run.plan.sp_packs)
        run.pack_qty = {**(run.pack_qty or {}), **{n: q for n, (q, _) in run.plan.sp_packs.items()}}

    def _build_group(self, run: _Run, st: CustomerState) -> list[Command]:
        if st.group is not None:
            return follow_on.user_limit_raise(run.order, st.group)
        return [C.group_add(**consolidated.group_of(run.order))]

    def _apply_group(self, run: _Run, st: CustomerState) -> None:
        if st.group is not None:  # a follow-on's raised user limit
            st.group["user_limit"] = max(int(st.group.get("user_limit") or 0), run.order.user_limit)
            return
        st.group = {"user_limit": run.order.user_limit, "calling_line_id": None}

    def _group_short(self, run: _Run, st: CustomerState) -> tuple[dict[str, int | None], ...]:
        packs = {n: q for n, (q, _) in run.plan.packs.items()}
        return short(packs, st.grp_packs), short(run.plan.group, st.grp_group), short(run.plan.user, st.grp_user)

    def _build_group_services_authorized(self, run: _Run, st: CustomerState) -> list[Command]:
        packs, groups, users = self._group_short(run, st)
        if not (packs or groups or users):
            return []
        return [C.group_service_auth_modify(run.order.enterprise_id, run.order.group_id, packs, groups, users)]

    def _apply_group_services_authorized(self, run: _Run, st: CustomerState) -> None:
        packs, groups, users = self._group_short(run, st)
        st.grp_packs.update(packs)
        st.grp_group.update(groups)
        st.grp_user.update(users)

    def _build_group_services_assigned(self, run: _Run, st: CustomerState) -> list[Command]:
        missing = [s for s in run.plan.group if s not in st.grp_assigned]
        return [C.group_service_assign(run.order.enterprise_id, run.order.group_id, missing)] if missing else []

    def _apply_group_services_assigned(self, run: _Run, st: CustomerState) -> None:
        st.grp_assigned |= set(run.plan.group)

    def _build_numbers_added(self, run: _Run, st: CustomerState) -> list[Command]:
        missing = [n for n in run.plan.numbers if n not in st.dns]
        return [C.sp_dn_add(run.order.enterprise_id, missing)] if missing else []

    def _apply_numbers_added(self, run: _Run, st: CustomerState) -> None:
        for n in run.plan.numbers:
            st.dns.setdefault(n, "")

    def _build_numbers_assigned(self, run: _Run, st: CustomerState) -> list[Command]:
        missing = [n for n in run.plan.numbers if st.dns.get(n) != run.order.group_id]
        return [C.group_dn_assign(run.order.enterprise_id, run.order.group_id, missing)] if missing else []

    def _apply_numbers_assigned(self, run: _Run, st: CustomerState) -> None:
        st.dns.update(dict.fromkeys(run.plan.numbers, run.order.group_id))

    def _build_calling_line_id(self, run: _Run, st: CustomerState) -> list[Command]:
        main = run.plan.main
        if main is None or st.dns.get(main) != run.order.group_id or st.group is None:
            return []  # only a number assigned to the group can be its calling line ID
        if st.group.get("calling_line_id") == main:
            return []
        return [C.group_modify_clid(run.order.enterprise_id, run.order.group_id, main)]

    def _apply_calling_line_id(self, run: _Run, st: CustomerState) -> None:
        if st.group is not None:
            st.group["calling_line_id"] = run.plan.main

    def _build_admin(self, run: _Run, st: CustomerState) -> list[Command]:
        if run.admin_set:
            return []
        o = run.order
        if run.admin_password is None:
            run.admin_password = generate_password()
        if o.admin_user_id in st.admins:
            # Exists but the ledger never saw it done: the credentials may be lost; set fresh ones.
            return [C.sp_admin_modify_password(o.admin_user_id, run.admin_password)]
        return [C.sp_admin_add(o.enterprise_id, o.admin_user_id, o.first_name, o.last_name, run.admin_password, "Customer")]

    def _apply_admin(self, run: _Run, st: CustomerState) -> None:
        st.admins[run.order.admin_user_id] = "Customer"
        run.admin_set = True

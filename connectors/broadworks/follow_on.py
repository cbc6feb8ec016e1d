"""BroadWorks for follow-on orders (issue 19): a new group under an existing enterprise, or services
added to an existing group.

The provisioner runs the same steps as for a new customer; what differs is decided here:
- the enterprise is never created for a follow-on: absent, the order fails ENTERPRISE_NOT_FOUND;
- Add Services never creates its group: absent, the order fails CUSTOMER_NOT_FOUND; its user limit
  is raised to the group's seats so far (GroupModifyRequest userLimit), never lowered;
- authorizations are sized from cumulative lines (every order of the group, every group of the
  enterprise, this one included), so a quantity is raised to what all orders need and never lowered,
  and a re-read after a lost answer asks for nothing more (the target does not move);
- a service pack that exists with too small a quantity is raised with
  ServiceProviderServicePackModifyRequest (its quantity read from ...GetDetailListRequest).

Assumption (no public BroadSoft text found on how group quantities add up): a provider's
authorization and a pack's quantity must cover the sum of what its groups are authorized, which also
satisfies a server that only compares each group with the provider. The simulator checks each group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connectors.broadworks import commands as C
from connectors.broadworks.client import OcipClient
from connectors.broadworks.ocip import Command
from connectors.broadworks.state import pack_details
from connectors.common.errors import TerminalError
from core.order import ADD_SERVICES, CustomerOrder, PackageLine


def group_lines(order: CustomerOrder) -> tuple[PackageLine, ...]:
    """What the group must be authorized for: every order of it so far (a new customer: its own)."""
    return order.group_packages or order.packages


def enterprise_lines(order: CustomerOrder) -> tuple[PackageLine, ...]:
    """What the enterprise must be authorized for: every order of every group of it so far."""
    return order.enterprise_packages or order.packages


def enterprise_missing(order: CustomerOrder) -> TerminalError:
    return TerminalError(
        f"ENTERPRISE_NOT_FOUND: BroadWorks holds no enterprise {order.enterprise_id} for "
        f"'{order.owner_account}'; nothing was sent (onboard the customer as a New Customer first)")


def group_missing(order: CustomerOrder) -> TerminalError:
    return TerminalError(
        f"CUSTOMER_NOT_FOUND: BroadWorks holds no group {order.group_id} in enterprise {order.enterprise_id} "
        f"for '{order.account}'; nothing was sent (check the Account Name)")


def must_exist(order: CustomerOrder, sp_exists: bool, group: Mapping[str, object] | None) -> None:
    """A follow-on never creates what it builds on."""
    if not order.follow_on:
        return
    if not sp_exists:
        raise enterprise_missing(order)
    if order.order_kind == ADD_SERVICES and group is None:
        raise group_missing(order)


def user_limit_raise(order: CustomerOrder, group: Mapping[str, object] | None) -> list[Command]:
    """Add Services: the group's user limit up to the seats of all its orders (never down)."""
    if order.order_kind != ADD_SERVICES or group is None:
        return []
    have = group.get("user_limit")
    if isinstance(have, int) and have >= order.user_limit:
        return []
    return [C.group_modify_user_limit(order.enterprise_id, order.group_id, order.user_limit)]


def pack_quantities(client: OcipClient, sp: str, names: Sequence[str]) -> dict[str, int | None]:
    """The quantity of each existing pack (None: unlimited), from its detail list."""
    return {name: d["quantity"] for name, d in pack_details(client, sp, names).items()}


def pack_raises(order: CustomerOrder, packs: Mapping[str, tuple[int, tuple[str, ...]]],
                have: Mapping[str, int | None]) -> list[Command]:
    """Existing packs whose quantity is below what the enterprise's orders need: raised."""
    out = []
    for name, (qty, _) in packs.items():
        if name in have and have[name] is not None and (have[name] or 0) < qty:
            out.append(C.sp_pack_modify_quantity(order.enterprise_id, name, qty))
    return out

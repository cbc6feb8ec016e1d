"""The R25 service names the simulator accepts: the values of the schema's closed enumerations
``UserService`` and ``GroupService`` (OCISchemaDataTypes.xsd) that our catalog uses.

The simulator runs without the XSD files, so it carries the names it must know; a test checks every
one against the published schema and that the catalog uses no other. A name outside these sets is
refused as a schema error, as the real server refuses a value outside the enumeration.
"""

from __future__ import annotations

USER_SERVICES = frozenset(
    {
        "Alternate Numbers",
        "Anonymous Call Rejection",
        "Authentication",
        "Basic Call Logs",
        "BroadTouch Business Communicator Desktop",
        "BroadTouch Business Communicator Mobile",
        "BroadWorks Agent",
        "BroadWorks Anywhere",
        "BroadWorks Receptionist - Office",
        "BroadWorks Supervisor",
        "Busy Lamp Field",
        "Call Center - Basic",
        "Call Center - Premium",
        "Call Center - Standard",
        "Call Center Monitoring",
        "Call Forwarding Always",
        "Call Forwarding Busy",
        "Call Forwarding No Answer",
        "Call Forwarding Not Reachable",
        "Call Forwarding Selective",
        "Call Me Now",
        "Call Recording",
        "Call Transfer",
        "Call Waiting",
        "Calling Line ID Delivery Blocking",
        "Calling Name Delivery",
        "Calling Number Delivery",
        "Client Call Control",
        "Collaborate - Audio",
        "Do Not Disturb",
        "Enhanced Call Logs",
        "Executive",
        "Fax Messaging",
        "Hoteling Guest",
        "Hoteling Host",
        "Integrated IMP",
        "Intercept User",
        "Last Number Redial",
        "Lync CTI",
        "N-Way Call",
        "Polycom Phone Services",
        "Priority Alert",
        "Remote Office",
        "Selective Call Acceptance",
        "Selective Call Rejection",
        "Sequential Ring",
        "Shared Call Appearance",
        "Simultaneous Ring Personal",
        "Three-Way Call",
        "Voice Messaging User",
    }
)

GROUP_SERVICES = frozenset(
    {
        "Auto Attendant",
        "Call Park",
        "Call Pickup",
        "Hunt Group",
        "Instant Group Call",
        "Music On Hold",
    }
)

SERVICES = USER_SERVICES | GROUP_SERVICES

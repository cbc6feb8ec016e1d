"""BroadWorks connector: OCI-P over SOAP client, provisioner, read-back and simulator."""

from connectors.broadworks.client import OcipClient, signed_password
from connectors.broadworks.provision import STEPS, BroadWorksProvisioner
from connectors.broadworks.service_plan import generate_password, plan_services
from connectors.broadworks.state import enterprise_exists, read_back

__all__ = [
    "STEPS",
    "BroadWorksProvisioner",
    "OcipClient",
    "enterprise_exists",
    "generate_password",
    "plan_services",
    "read_back",
    "signed_password",
]

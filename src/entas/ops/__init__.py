"""The operations store: users, stakeholders, plans, interventions, household status and the audit log.

Open it with ``OpsStore.open(home)`` (after ``entas db upgrade``) and go through ``store.access(principal)``
for every read and write: that object enforces role, area scope, masking and the audit log
(``entas.ops.access``). See docs/operations.md for the model and the role x capability table.
"""

from entas.ops.access import Access, HouseholdDetail, InterventionRequest, Recorded
from entas.ops.principal import CAPABILITIES, Capability, Principal, Role
from entas.ops.store import OpsStore

__all__ = ["CAPABILITIES", "Access", "Capability", "HouseholdDetail", "InterventionRequest", "OpsStore",
           "Principal", "Recorded", "Role"]

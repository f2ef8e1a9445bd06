"""The ledger: plans and their assignment to stakeholders, delivery reports, and monitoring.

Every function takes an ``entas.ops.Access`` (a principal bound to the operations store), so the ledger
reads and writes only through the data-access layer and inherits its scope, masking and audit rules.
See docs/operations.md.
"""

from entas.ledger.deliveries import DeliveryImport, import_deliveries
from entas.ledger.monitor import coverage, duplicates, extreme_poor, graduation, progress, untouched
from entas.ledger.plans import PLAN_COLUMNS, assign, import_plan
from entas.ledger.public import public_aggregates

__all__ = ["PLAN_COLUMNS", "DeliveryImport", "assign", "coverage", "duplicates", "extreme_poor", "graduation",
           "import_deliveries", "import_plan", "progress", "public_aggregates", "untouched"]

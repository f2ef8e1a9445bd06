"""Programs: the catalog of poverty programs as rules as code (YAML), the eligibility-rule language, eligibility."""

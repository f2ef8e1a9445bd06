"""Targeting: the proxy-means test fitted on the survey and applied to the registry, deciles and errors."""

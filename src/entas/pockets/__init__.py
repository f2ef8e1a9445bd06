"""Pockets of poverty: small-area estimates, deprivations, spatial hot spots and the ranked pocket list."""

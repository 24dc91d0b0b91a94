"""M365 tenants: admin consent, tokens sealed at rest, and discovery through Graph."""

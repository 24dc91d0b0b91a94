"""M365 tenants: admin consent, their directories, and discovery through Graph."""

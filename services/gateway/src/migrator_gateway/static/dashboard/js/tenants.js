// What the pages know about tenants: their kinds, roles, and how to label them.

export const DOMAIN_PATTERN = /^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export const TENANT_TYPES = {
  M365: 'Microsoft 365',
  ATLASSIAN: 'Atlassian Cloud',
  ATLASSIAN_SERVER: 'Atlassian Server / Data Center',
};

export function roleLabel(role) {
  return role === 'source' ? 'Source' : role === 'destination' ? 'Destination' : role;
}

/** Tenants by id, for pages that show a job's tenants by name. */
export function byId(tenants) {
  return Object.fromEntries((tenants || []).map((t) => [t.id, t]));
}

export function isAtlassian(tenant) {
  return tenant.type === 'ATLASSIAN' || tenant.type === 'ATLASSIAN_SERVER';
}

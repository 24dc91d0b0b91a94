// The kinds of item discovery finds in a tenant: where each is listed and how it is shown.
import { formatBytes, formatCount } from './format.js';

export const DISCOVERED = {
  users: {
    label: 'Users', noun: 'user',
    columns: [['Name', (u) => u.displayName || '—'], ['User principal name', (u) => u.upn], ['Mailbox size', (u) => formatBytes(u.sourceSizeBytes)]],
  },
  sites: {
    label: 'Sites', noun: 'site',
    columns: [['Name', (s) => s.name || '—'], ['Address', (s) => s.url], ['Size', (s) => formatBytes(s.sizeBytes)]],
  },
  teams: {
    label: 'Teams', noun: 'team',
    columns: [['Name', (t) => t.name || '—'], ['Description', (t) => t.description || '—'], ['Members', (t) => formatCount(t.memberCount)], ['Team id', (t) => t.teamId]],
  },
  projects: {
    label: 'Projects', noun: 'project',
    columns: [['Key', (p) => p.key], ['Name', (p) => p.name || '—'], ['Issues', (p) => formatCount(p.issueCount)], ['Size', (p) => formatBytes(p.sizeBytes)]],
  },
  spaces: {
    label: 'Spaces', noun: 'space',
    columns: [['Key', (s) => s.key], ['Name', (s) => s.name || '—'], ['Pages', (s) => formatCount(s.pageCount)], ['Size', (s) => formatBytes(s.sizeBytes)]],
  },
};

/** The tabs a tenant has: Microsoft 365 holds users, sites and teams; Atlassian projects and spaces. */
export function kindsOf(tenant) {
  return tenant.type === 'M365' ? ['users', 'sites', 'teams'] : ['projects', 'spaces', 'users'];
}

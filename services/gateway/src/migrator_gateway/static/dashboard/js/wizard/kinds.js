// What the wizard asks for each job type: where its items are discovered, how one is named in the
// request (its selection and mapping keys), its scope and its options, as the API accepts them.
import { formatBytes } from '../format.js';

const FILE_FLAGS = [
  ['fullPass', 'Full pass', 'Copy everything again, not only what changed since the last pass'],
  ['includeVersions', 'Include versions', 'Earlier versions of each file'],
  ['includePermissions', 'Include permissions', 'Sharing and site permissions, mapped to destination users'],
];

export const KINDS = {
  SHAREPOINT: {
    label: 'SharePoint', description: 'Sites with their libraries, lists and files', family: 'M365',
    list: 'sites', selection: 'sites', mappings: 'siteMappings', noun: 'site', nouns: 'sites',
    value: (s) => s.url, name: (s) => s.name || s.url, detail: (s) => s.url, size: (s) => formatBytes(s.sizeBytes),
    dest: { list: 'sites', value: (s) => s.url, label: 'Destination site', hint: 'Empty: the same path at the destination' },
    flags: FILE_FLAGS, userMappings: true,
  },
  ONEDRIVE: {
    label: 'OneDrive', description: "Users' OneDrive files", family: 'M365',
    list: 'users', selection: 'sites', mappings: 'siteMappings', noun: 'OneDrive', nouns: 'OneDrives',
    value: (u, ctx) => oneDriveUrl(ctx.sourcePrefix, u.upn), name: (u) => u.displayName || u.upn, detail: (u) => u.upn,
    size: () => '—',
    dest: { list: 'users', value: (u, ctx) => oneDriveUrl(ctx.destPrefix, u.upn), label: 'Destination OneDrive', hint: 'Empty: the same path at the destination' },
    flags: FILE_FLAGS, userMappings: true, needsPrefix: true,
  },
  EMAIL: {
    label: 'Email', description: 'Mailboxes: mail, calendars and contacts', family: 'M365',
    list: 'users', selection: 'mailboxes', mappings: 'mailboxMappings', noun: 'mailbox', nouns: 'mailboxes',
    value: (u) => u.upn, name: (u) => u.displayName || u.upn, detail: (u) => u.upn, size: (u) => formatBytes(u.sourceSizeBytes),
    dest: { list: 'users', value: (u) => u.upn, label: 'Destination mailbox', hint: 'Empty: the user of the same name at the destination' },
    scope: [['email', 'Email'], ['calendar', 'Calendar'], ['contacts', 'Contacts']],
  },
  TEAMS: {
    label: 'Teams', description: 'Teams with their channel messages and files', family: 'M365',
    list: 'teams', selection: 'teams', mappings: 'teamMappings', noun: 'team', nouns: 'teams',
    value: (t) => t.teamId, name: (t) => t.name || t.teamId, detail: (t) => t.description || '', size: () => '—',
    dest: { list: 'teams', value: (t) => t.teamId, text: (t) => t.name || t.teamId, label: 'Destination team', hint: 'Empty: matched by name, or created', choose: true },
    scope: [['messages', 'Channel messages'], ['files', 'Channel files']],
    userMappings: true, fallbackUser: true,
  },
  JIRA: {
    label: 'Jira', description: 'Projects with their issues', family: 'ATLASSIAN',
    list: 'projects', selection: 'projects', mappings: null, noun: 'project', nouns: 'projects',
    value: (p) => p.key, name: (p) => p.name || p.key, detail: (p) => p.key, size: (p) => formatBytes(p.sizeBytes),
  },
  CONFLUENCE: {
    label: 'Confluence', description: 'Spaces with their pages', family: 'ATLASSIAN',
    list: 'spaces', selection: 'spaces', mappings: null, noun: 'space', nouns: 'spaces',
    value: (s) => s.key, name: (s) => s.name || s.key, detail: (s) => s.key, size: (s) => formatBytes(s.sizeBytes),
  },
};

export const TYPE_ORDER = ['SHAREPOINT', 'ONEDRIVE', 'EMAIL', 'TEAMS', 'JIRA', 'CONFLUENCE'];

/** A user's OneDrive: https://<prefix>-my.sharepoint.com/personal/<UPN, with @ and . as _>. */
function oneDriveUrl(prefix, upn) {
  return `https://${prefix}-my.sharepoint.com/personal/${upn.toLowerCase().replace(/[@.]/g, '_')}`;
}

/** The SharePoint host prefix of a tenant (contoso of contoso.sharepoint.com), from its sites. */
export function sharePointPrefix(tenant, sites) {
  for (const site of sites || []) {
    const match = /^https:\/\/([a-z0-9-]+)\.sharepoint\.com\//i.exec(site.url);
    if (match && !match[1].endsWith('-my')) return match[1].toLowerCase();
  }
  return tenant.domain.split('.')[0].toLowerCase().replace(/[^a-z0-9-]/g, '');
}

/** Source and destination tenants a type can run between: roles, kinds, and its workload. */
export function tenantsFor(type, tenants) {
  const kind = KINDS[type];
  const fits = (t) => (kind.family === 'M365' ? t.type === 'M365' && (!t.workloads.length || t.workloads.includes(type)) : t.type !== 'M365');
  return {
    sources: tenants.filter((t) => t.role === 'source' && fits(t)),
    destinations: tenants.filter((t) => t.role === 'destination' && fits(t)),
  };
}

export function defaultScope(type) {
  return Object.fromEntries((KINDS[type]?.scope || []).map(([name]) => [name, true]));
}

/** The request's options for some of the selected items: them, their mappings, the flags. */
export function optionsFor(plan, items) {
  const kind = KINDS[plan.type];
  const options = { [kind.selection]: items };
  if (kind.mappings) {
    const mapped = items.filter((v) => (plan.mappings[v] || '').trim()).map((v) => ({ source: v, dest: plan.mappings[v].trim() }));
    if (mapped.length) options[kind.mappings] = mapped;
  }
  for (const [name] of kind.flags || []) if (plan.flags[name]) options[name] = true;
  if (kind.userMappings) {
    const users = plan.userMappings.filter((m) => m.source.trim() && m.dest.trim()).map((m) => ({ source: m.source.trim(), dest: m.dest.trim() }));
    if (users.length) options.userMappings = users;
  }
  if (kind.fallbackUser && plan.fallbackUser.trim()) options.fallbackUser = plan.fallbackUser.trim();
  return options;
}

/** The request's scope: every scope key of the type, on or off; {} for types without one. */
export function scopeFor(plan) {
  const kind = KINDS[plan.type];
  return Object.fromEntries((kind.scope || []).map(([name]) => [name, !!plan.scope[name]]));
}

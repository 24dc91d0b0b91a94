// What the pages know about jobs: types, statuses, and which units each type has.
import { formatBytes } from './format.js';

export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'PAUSED', 'DONE', 'ERROR', 'CANCELLED'];
export const TERMINAL = new Set(['DONE', 'ERROR', 'CANCELLED']);
export const LIVE_POLL_MS = 2000;

export const JOB_TYPE_LABELS = {
  SHAREPOINT: 'SharePoint',
  ONEDRIVE: 'OneDrive',
  EMAIL: 'Email',
  TEAMS: 'Teams',
  JIRA: 'Jira',
  CONFLUENCE: 'Confluence',
};

/** Each type's units: the list's path and key, and its columns. */
export const UNITS = {
  SHAREPOINT: { path: 'sites', label: 'Sites', columns: siteColumns() },
  ONEDRIVE: { path: 'sites', label: 'OneDrives', columns: siteColumns() },
  EMAIL: {
    path: 'mailboxes', label: 'Mailboxes',
    columns: [['Mailbox', (u) => u.email], ['Destination', (u) => u.destEmail || '—'], ['Size', (u) => formatBytes(u.sizeBytes)]],
  },
  TEAMS: {
    path: 'teams', label: 'Teams',
    columns: [['Team', (u) => u.name || u.teamId], ['Destination team', (u) => u.destTeamId || 'Not yet known'], ['Files', (u) => formatBytes(u.bytesTransferred)]],
  },
  JIRA: { path: 'projects', label: 'Projects', columns: [['Project', (u) => u.key], ['Message', (u) => u.message || '—']] },
  CONFLUENCE: { path: 'spaces', label: 'Spaces', columns: [['Space', (u) => u.key], ['Message', (u) => u.message || '—']] },
};

function siteColumns() {
  return [['Site', (u) => u.url], ['Destination', (u) => u.destUrl || 'Same path'], ['Transferred', (u) => formatBytes(u.bytesTransferred)]];
}

export const canPause = (job) => job.status === 'QUEUED' || job.status === 'RUNNING';
export const canResume = (job) => job.status === 'PAUSED';

// Device command types and their payloads, checked here as the API checks them
// (migrator_contracts.devices), so the form names the field that is wrong before sending.

export const COMMAND_TYPES = {
  FULL_MIGRATION: { label: 'Full migration', description: 'Leave the source, reboot, join the destination (Entra ID and Intune) and remap user profiles', fields: ['ppkgUrl', 'destTenantId', 'userMappings', 'rebootDelaySeconds'] },
  ENTRA_JOIN: { label: 'Entra join', description: 'Leave the source, reboot and join the destination, without profile work', fields: ['ppkgUrl', 'destTenantId'] },
  PROFILE_MIGRATION: { label: 'Profile migration', description: 'Remap local user profiles to destination identities only', fields: ['destTenantId', 'userMappings'], mappingsRequired: true },
  ROLLBACK: { label: 'Rollback', description: 'Restore the source join and the profiles of an earlier migration', fields: ['commandId'] },
  COLLECT_LOGS: { label: 'Collect logs', description: "Upload the agent's logs for support", fields: ['uploadUrl'] },
};

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const UPN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const COMMAND_ID = /^cmd_[A-Za-z0-9]{1,64}$/;
const MAX_MAPPINGS = 500;

function httpsProblem(value) {
  if (!value) return 'Required.';
  if (value.length > 2048) return 'At most 2048 characters.';
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' || !url.host) return 'Must be an https URL.';
  } catch {
    return 'Must be an https URL.';
  }
  return '';
}

/** The payload the form describes, and its problems by field ({} when it is valid). */
export function checkedCommand(type, form) {
  const fields = COMMAND_TYPES[type].fields;
  const payload = {};
  const errors = {};
  for (const name of ['ppkgUrl', 'uploadUrl']) {
    if (!fields.includes(name)) continue;
    const value = form[name].trim();
    const problem = httpsProblem(value);
    if (problem) errors[name] = problem;
    payload[name] = value;
  }
  if (fields.includes('destTenantId')) {
    const value = form.destTenantId.trim();
    if (!GUID.test(value)) errors.destTenantId = 'The destination Entra tenant id: a GUID such as aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.';
    payload.destTenantId = value;
  }
  if (fields.includes('userMappings')) {
    const rows = form.userMappings.filter((m) => m.sourceUser.trim() || m.destUpn.trim());
    const rowErrors = rows.map((m) => {
      if (!m.sourceUser.trim() || m.sourceUser.trim().length > 256) return 'The source account is needed (DOMAIN\\user or a UPN, at most 256 characters).';
      if (!UPN.test(m.destUpn.trim()) || m.destUpn.trim().length > 256) return 'The destination user must be a UPN such as jane@fabrikam.com.';
      return '';
    });
    const firstBad = rowErrors.findIndex(Boolean);
    if (firstBad >= 0) errors.userMappings = `Mapping ${firstBad + 1}: ${rowErrors[firstBad]}`;
    else if (COMMAND_TYPES[type].mappingsRequired && !rows.length) errors.userMappings = 'Map at least one user.';
    else if (rows.length > MAX_MAPPINGS) errors.userMappings = `At most ${MAX_MAPPINGS} mappings.`;
    if (rows.length || COMMAND_TYPES[type].mappingsRequired) {
      payload.userMappings = rows.map((m) => ({ sourceUser: m.sourceUser.trim(), destUpn: m.destUpn.trim() }));
    }
  }
  if (fields.includes('rebootDelaySeconds') && String(form.rebootDelaySeconds).trim() !== '') {
    const value = Number(form.rebootDelaySeconds);
    if (!Number.isInteger(value) || value < 0 || value > 3600) errors.rebootDelaySeconds = 'A whole number of seconds from 0 to 3600.';
    payload.rebootDelaySeconds = value;
  }
  if (fields.includes('commandId') && form.commandId) {
    if (!COMMAND_ID.test(form.commandId)) errors.commandId = 'A command id such as cmd_01HY4PQR.';
    payload.commandId = form.commandId;
  }
  return { payload, errors };
}

/** The API's 400 message ("payload.ppkgUrl: must be …; payload.userMappings.0.destUpn: …") by field. */
export function apiFieldErrors(message) {
  const errors = {};
  for (const part of message.split('; ')) {
    const match = /^payload\.([A-Za-z]+)(?:\.[\w.]+)?: (.*)$/.exec(part);
    if (match && !errors[match[1]]) errors[match[1]] = match[2].charAt(0).toUpperCase() + match[2].slice(1);
  }
  return errors;
}

// What the selection step loads besides the searched pages: OneDrive address prefixes (from a
// few sites of each tenant) and, for teams, the destination's teams to choose from.
import { discoveredPage } from '../search.js';
import { sharePointPrefix } from './kinds.js';

const CHOICES = 1000; // the API's largest page: a tenant's teams fit

export async function loadContext(plan, kind, pair, signal) {
  const sites = (tenantId) => discoveredPage(tenantId, 'sites', { limit: 10, signal }).then((b) => b.sites);
  const [sourceSites, destSites, destChoices] = await Promise.all([
    kind.needsPrefix ? sites(plan.sourceId) : [],
    kind.needsPrefix ? sites(plan.destId) : [],
    kind.dest?.choose ? discoveredPage(plan.destId, kind.dest.list, { limit: CHOICES, signal }).then((b) => b[kind.dest.list]) : [],
  ]);
  return {
    sourcePrefix: kind.needsPrefix ? sharePointPrefix(pair.source, sourceSites) : '',
    destPrefix: kind.needsPrefix ? sharePointPrefix(pair.dest, destSites) : '',
    destChoices,
  };
}

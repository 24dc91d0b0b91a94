// Searching a tenant's discovered items as the user types: the API searches and pages, so a
// tenant of 50,000 users is a page of them at a time.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { aborted, api } from './api.js';

const TYPING_PAUSE_MS = 250;

/** `value`, once it has stopped changing for a moment (one request per pause, not per key). */
export function useSettled(value, ms = TYPING_PAUSE_MS) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}

export function discoveredPage(tenantId, what, { search, limit, cursor, signal }) {
  return api.get(`v1/tenants/${encodeURIComponent(tenantId)}/${what}`, { params: { search, limit, cursor }, signal });
}

/** Suggestions for a search box: the first items of `what` in the tenant that match `text`. */
export function useSuggestions(tenantId, what, text, limit = 20) {
  const search = useSettled(text.trim());
  const [items, setItems] = useState([]);
  useEffect(() => {
    const controller = new AbortController();
    discoveredPage(tenantId, what, { search, limit, signal: controller.signal }).then(
      (body) => setItems(body[what] || []),
      (error) => { if (!aborted(error)) setItems([]); },
    );
    return () => controller.abort();
  }, [tenantId, what, search]);
  return items;
}

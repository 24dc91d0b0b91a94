// A text box whose suggestions are a tenant's discovered items matching what is typed.
import { useId } from '../../vendor/hooks.mjs';
import { html } from '../html.js';
import { useSuggestions } from '../search.js';

export function SearchInput({ tenantId, what, value, suggest, onChange, ...rest }) {
  const id = useId();
  const found = useSuggestions(tenantId, what, value);
  return html`<input type="search" list=${`${id}-list`} value=${value} autocomplete="off"
      onInput=${(e) => onChange(e.currentTarget.value)} ...${rest} />
    <datalist id=${`${id}-list`}>${found.map((d) => html`<option value=${suggest(d)}>${d.displayName || d.name || ''}</option>`)}</datalist>`;
}

// Each page names itself in the browser's title, as a screen reader announces it.
import { useEffect } from '../vendor/hooks.mjs';

export function useTitle(title) {
  useEffect(() => {
    document.title = title ? `${title} · Migrator` : 'Migrator';
  }, [title]);
}

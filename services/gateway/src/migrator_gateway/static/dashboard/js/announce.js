// Status messages for everyone: shown in the page's aria-live region, so screen readers hear them too.
import { useEffect, useState } from '../vendor/hooks.mjs';

const listeners = new Set();
const SHOWN_MS = 10000;

export function announce(message) {
  for (const listener of listeners) listener(message);
}

/** The message to show now (cleared after a while, so an old one is not mistaken for news). */
export function useAnnouncement() {
  const [message, setMessage] = useState('');
  useEffect(() => {
    let timer = null;
    const listener = (text) => {
      clearTimeout(timer);
      setMessage(text);
      timer = setTimeout(() => setMessage(''), SHOWN_MS);
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      clearTimeout(timer);
    };
  }, []);
  return message;
}

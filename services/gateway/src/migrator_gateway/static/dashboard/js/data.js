// Loading a page's data: its result, error and loading state, polled without overlapping requests.
import { useEffect, useRef, useState } from '../vendor/hooks.mjs';
import { aborted } from './api.js';

/**
 * Run `load(signal)` now and whenever `deps` change; with `every` (ms, or a function of the last
 * data giving ms or 0), again that long after each answer. Data from other deps is never shown.
 */
export function useResource(load, deps, { every = 0 } = {}) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef({ load, every });
  latest.current = { load, every };
  const depsKey = JSON.stringify(deps);
  const shownKey = useRef(depsKey);

  useEffect(() => {
    let live = true;
    let timer = null;
    const controller = new AbortController();
    if (shownKey.current !== depsKey) {
      shownKey.current = depsKey;
      setState({ data: undefined, error: null, loading: true });
    } else {
      setState((s) => ({ ...s, loading: true }));
    }
    const run = async () => {
      let data;
      try {
        data = await latest.current.load(controller.signal);
        if (!live) return;
        setState({ data, error: null, loading: false });
      } catch (error) {
        if (!live || aborted(error)) return;
        setState((s) => ({ data: s.data, error, loading: false }));
        if (error.status === 401 || error.status === 404) return; // polling again changes nothing
      }
      const { every: wait } = latest.current;
      const ms = typeof wait === 'function' ? wait(data) : wait;
      if (live && ms) timer = setTimeout(run, ms);
    };
    run();
    return () => {
      live = false;
      clearTimeout(timer);
      controller.abort();
    };
  }, [depsKey, tick]);

  return { ...state, reload: () => setTick((t) => t + 1), setData: (data) => setState((s) => ({ ...s, data })) };
}

/** An action's busy flag and error, so a button can show both. */
export function useAction(perform) {
  const [state, setState] = useState({ busy: false, error: null });
  const run = async (...args) => {
    setState({ busy: true, error: null });
    try {
      const result = await perform(...args);
      setState({ busy: false, error: null });
      return result;
    } catch (error) {
      setState({ busy: false, error });
      return undefined;
    }
  };
  return { ...state, run, clear: () => setState({ busy: false, error: null }) };
}

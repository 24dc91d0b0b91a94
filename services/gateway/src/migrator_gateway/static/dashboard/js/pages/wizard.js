// New migration: type and tenants, then the selection with its mappings, then a dry run of the
// pre-flight checks, then waves (batches, each with its own start), created in one request.
import { useEffect, useRef, useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { Loaded } from '../components.js';
import { useResource } from '../data.js';
import { html } from '../html.js';
import { useTitle } from '../title.js';
import { DryRunStep } from '../wizard/dry-run-step.js';
import { defaultScope, KINDS } from '../wizard/kinds.js';
import { SelectionStep } from '../wizard/selection-step.js';
import { TypeStep } from '../wizard/type-step.js';
import { WavesStep } from '../wizard/waves-step.js';

const STEPS = ['Type and tenants', 'Selection', 'Dry run', 'Waves'];

const EMPTY_PLAN = {
  type: '', sourceId: '', destId: '', scope: {}, flags: {},
  selected: [], labels: {}, mappings: {}, userMappings: [], fallbackUser: '',
  batches: [{ name: 'Wave 1', start: '' }], assignment: {},
};

/** The plan after a change, with whatever the change makes stale cleared. */
function changed(plan, changes) {
  const next = { ...plan, ...changes };
  if ('type' in changes && changes.type !== plan.type) {
    Object.assign(next, { scope: defaultScope(changes.type), flags: {}, userMappings: [], fallbackUser: '' });
  }
  const typeOrSource = next.type !== plan.type || next.sourceId !== plan.sourceId;
  if (typeOrSource) Object.assign(next, { selected: [], labels: {}, mappings: {}, assignment: {} });
  if (next.destId !== plan.destId) Object.assign(next, { mappings: {} });
  return next;
}

function problems(step, plan) {
  const found = {};
  if (step === 0) {
    if (!plan.type) found.type = 'Choose what to migrate.';
    if (!plan.sourceId) found.sourceId = 'Choose the source tenant.';
    if (!plan.destId) found.destId = 'Choose the destination tenant.';
    const scope = KINDS[plan.type]?.scope;
    if (scope && !scope.some(([name]) => plan.scope[name])) found.scope = 'Choose at least one thing to move.';
  }
  if (step === 1) {
    const kind = KINDS[plan.type];
    if (!plan.selected.length) found.selection = `Select at least one ${kind.noun}.`;
    if (plan.userMappings.some((m) => !m.source.trim() !== !m.dest.trim())) {
      found.userMappings = 'Each user mapping needs a source user and a destination user (or remove it).';
    }
  }
  return found;
}

export function WizardPage() {
  useTitle('New migration');
  const tenants = useResource(async (signal) => (await api.get('v1/tenants', { signal })).tenants, []);
  const [plan, setPlan] = useState(EMPTY_PLAN);
  const [step, setStep] = useState(0);
  const [errors, setErrors] = useState({});
  const [passed, setPassed] = useState(false);
  const heading = useRef(null);
  const update = (changes) => setPlan((p) => changed(p, changes));

  // Each step announces itself by taking focus, so keyboard and screen reader users start there.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [step]);

  const go = (to) => {
    setErrors({});
    setPassed(false);
    setStep(to);
  };
  const next = (event) => {
    event.preventDefault();
    const found = problems(step, plan);
    setErrors(found);
    if (!Object.keys(found).length) go(step + 1);
  };

  return html`
    <h1>New migration</h1>
    <ol class="steps">
      ${STEPS.map((name, index) => html`<li key=${name} aria-current=${index === step ? 'step' : undefined}
        class=${index < step ? 'done' : ''}>${name}</li>`)}
    </ol>
    <${Loaded} resource=${tenants} label="Loading tenants…">
      ${(found) => html`<section aria-labelledby="step-heading">
        <h2 id="step-heading" tabindex="-1" ref=${heading}>Step ${step + 1} of ${STEPS.length}: ${STEPS[step]}</h2>
        ${step === 3
          ? html`<${WavesStep} plan=${plan} update=${update} onBack=${() => go(2)} />`
          : html`<form onSubmit=${next} novalidate>
            ${step === 0 ? html`<${TypeStep} plan=${plan} update=${update} tenants=${found} errors=${errors} />` : null}
            ${step === 1 ? html`<${SelectionStep} plan=${plan} update=${update} errors=${errors} tenants=${found} />` : null}
            ${step === 2 ? html`<${DryRunStep} plan=${plan} onPassed=${setPassed} />` : null}
            <div class="wizard-nav">
              ${step > 0 ? html`<button type="button" class="secondary" onClick=${() => go(step - 1)}>Back</button>` : null}
              <button type="submit" disabled=${step === 2 && !passed}>Next: ${STEPS[step + 1]}</button>
            </div>
          </form>`}
      </section>`}
    <//>`;
}

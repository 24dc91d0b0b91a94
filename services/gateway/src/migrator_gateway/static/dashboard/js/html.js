// JSX without a build step: htm tagged templates rendered by Preact.
import { h } from '../vendor/preact.mjs';
import htm from '../vendor/htm.mjs';

export const html = htm.bind(h);

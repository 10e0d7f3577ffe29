// TypeDoc options of this package: its entry points come from package.json exports.
import { packageOptions } from '../../scripts/typedoc-package.mjs';

export default {
  ...packageOptions(import.meta.url),
  // File-local types that appear in exported signatures (xstate's System, the router's and the
  // handover's message unions): their definitions are shown inline.
  intentionallyNotExported: ['System', 'Message', 'Entry'],
};

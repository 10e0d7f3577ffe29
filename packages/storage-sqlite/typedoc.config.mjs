// TypeDoc options of this package: its entry points come from package.json exports.
import { packageOptions } from '../../scripts/typedoc-package.mjs';

export default packageOptions(import.meta.url);

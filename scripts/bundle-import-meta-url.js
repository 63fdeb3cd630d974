// Injected by scripts/bundle-cli.mjs into the CommonJS bundles: what import.meta.url is in an ES
// module, the URL of the file itself.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;

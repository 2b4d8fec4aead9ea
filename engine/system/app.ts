import pkg from '../../package.json' with { type: 'json' };

/** The app's name and version, from package.json (inlined by the bundler). */
export const APP = { name: pkg.productName, version: pkg.version } as const;

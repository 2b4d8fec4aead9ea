/**
 * LIBERO's task suites (engine/libero/suites.ts keeps their tasks and step limits). Apart from
 * run-config.ts's zod schemas: the simulator workers import the suites, and loading zod cost each
 * worker about 75 ms at its start.
 */
export const SUITES = ['libero_spatial', 'libero_object', 'libero_goal', 'libero_10', 'libero_90'] as const;

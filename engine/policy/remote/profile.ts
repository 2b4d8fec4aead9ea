import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { fieldPath } from './field-path.js';
import { appRoot } from '../../util/app-root.js';
import { InputError } from '../../util/input-error.js';
import { notValidJson } from '../../util/json-location.js';

/**
 * A policy profile (docs/remote-policies.md "Profiles"): how the workbench's observation maps to a
 * policy server's keys and conventions, and how much of each returned chunk runs. Servers differ in
 * exactly this (openpi's LIBERO example wants two 224 x 224 images turned as its training data was,
 * the project's server wants the renders as they are plus the object poses), and nothing else
 * about the protocol. Shipped profiles are in assets/policy-profiles/; a user's is a JSON file.
 */

const CameraName = z.enum(['agentview', 'robot0_eye_in_hand']);
const Side = z.number().int().min(8).max(1024);
const Key = z.string().min(1);

/** One image the profile always sends. */
const ImageSpec = z.strictObject({
  /** The observation key, e.g. `observation/image`. */
  key: Key,
  camera: CameraName,
  /** The size the simulator renders it at. */
  render: z.strictObject({ width: Side, height: Side }),
  /**
   * `upright` as rendered (row 0 at the top, column 0 at camera-left); `rot180`: what LIBERO
   * clients send after `img[::-1, ::-1]` of robosuite's bottom-up OpenGL buffer, which on an upright
   * render is a left-right mirror (engine/bundle/image.ts derives it).
   */
  orientation: z.enum(['upright', 'rot180']),
  /** openpi's `resize_with_pad` to this size (Pillow bilinear keeping the aspect ratio, zero padding); absent: sent as rendered. */
  resizeWithPad: z.strictObject({ width: Side, height: Side }).optional(),
});
export type ImageSpec = z.infer<typeof ImageSpec>;

export const PolicyProfile = z.strictObject({
  name: Key,
  description: z.string().optional(),
  observation: z.strictObject({
    images: z.array(ImageSpec).default([]),
    /**
     * Cameras the server asks for in its metadata (`observation.cameras`: name, width, height),
     * by camera: the key each is sent under, upright and as rendered (the server does its model's
     * own preprocessing).
     */
    serverCameras: z.partialRecord(CameraName, Key).optional(),
    /** Observation.proprio as float32 [8]: eef position, axis-angle, gripper qpos x2. */
    state: Key.optional(),
    /** The task's instruction. */
    prompt: Key.optional(),
    /** Observation.objectPoses as float32 [N, 7] (xyz + wxyz, the task's `:objects` order). */
    objectPoses: Key.optional(),
    /** The task's object names (list of str), suite (str) and id (int). */
    taskObjects: Key.optional(),
    taskSuite: Key.optional(),
    taskId: Key.optional(),
  }),
  action: z.strictObject({
    /** LIBERO's 7 (position and rotation deltas, gripper); a reply's first 7 columns are used. */
    dim: z.literal(7, 'LIBERO actions have 7 numbers'),
    /** How many actions of each returned chunk run before the next request; `all`: the whole chunk. */
    execute: z.union([z.number().int().min(1).max(1000), z.literal('all')]),
  }),
});
export type PolicyProfile = z.infer<typeof PolicyProfile>;

/** A profile that cannot be used: the file (or shipped name) and the field at fault. */
export class ProfileError extends InputError {
  constructor(field: string, message: string) {
    super(field, message);
    this.name = 'ProfileError';
  }
}

/** A profile with where it came from: a shipped name, or the file's absolute path. */
export interface LoadedProfile {
  profile: PolicyProfile;
  /** What run.json records and a resume loads again: the shipped name or the file's path. */
  source: string;
}

/** Where the shipped profiles are (assets/policy-profiles). */
export function shippedProfilesDir(): string {
  return path.join(appRoot(), 'assets', 'policy-profiles');
}

export function shippedProfiles(): string[] {
  try {
    return readdirSync(shippedProfilesDir())
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/** A file path (it has a slash or ends in .json) or a shipped profile's name. */
export function isProfileFile(given: string): boolean {
  return /[/\\]/.test(given) || given.endsWith('.json');
}

/** Loads a shipped profile by name, or a profile file. */
export function loadProfile(given: string): LoadedProfile {
  if (!isProfileFile(given)) {
    const file = path.join(shippedProfilesDir(), `${given}.json`);
    if (!existsSync(file)) throw new ProfileError('profile', `no shipped policy profile "${given}"; shipped: ${shippedProfiles().join(', ') || 'none'} (or give a profile file, e.g. ./my-server.json)`);
    return { profile: readProfile(file), source: given };
  }
  const file = path.resolve(given);
  return { profile: readProfile(file), source: file };
}

function readProfile(file: string): PolicyProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ProfileError(file, `policy profile ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProfileError(file, `policy profile ${file}: ${notValidJson(text)}`);
  }
  const parsed = PolicyProfile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProfileError(file, `policy profile ${file}: ${fieldPath(issue.path) || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The profile for a server whose user named none: the project's own server says so in its
 * metadata (`server: "rsd-policy-server"`); anything else is taken for openpi's LIBERO example.
 */
export function defaultProfileName(serverMetadata: Record<string, unknown>): string {
  return serverMetadata.server === 'rsd-policy-server' ? 'rsd-server' : 'openpi-libero';
}

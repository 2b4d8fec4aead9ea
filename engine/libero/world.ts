/**
 * What LIBERO's goal predicates read from the simulator, and nothing more. Names are the BDDL names:
 * an entity is an object or fixture (`akita_black_bowl_1`, `wooden_cabinet_1`), a region is a
 * region's full name (`main_table_plate_region`, `wooden_cabinet_1_top_region`). The MuJoCo-backed
 * implementation is engine/sim/world-query.ts; tests use plain objects.
 */

export type Vec3 = readonly [number, number, number];

/** A 3x3 rotation, row-major: `m[3 * row + col]`, mapping the frame's axes to world (MuJoCo's xmat). */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];

export interface SiteFrame {
  pos: Vec3;
  mat: Mat3;
  /** The box site's half sizes (MuJoCo `size`), which LIBERO's SiteObject keeps as `size`. */
  halfSize: Vec3;
}

export interface WorldQuery {
  /** World position of an entity's root body (LIBERO's `body_xpos` of the object's root body). Throws for an unknown entity. */
  bodyPosition(entity: string): Vec3;
  /** The frame of a region's site, or null when `name` is not a region (then it is an entity). */
  site(name: string): SiteFrame | null;
  /**
   * The object or fixture a region belongs to, whose contact LIBERO's On requires; null for the
   * workspace's zones (`main_table_*`), which LIBERO builds as parentless TargetZones.
   */
  parentOfSite(region: string): string | null;
  /** True if any collision geom (`<a>_g<i>`) of entity a touches any collision geom of entity b in the current contacts. */
  inContact(a: string, b: string): boolean;
  /**
   * The qpos of the 1-dof joints LIBERO's Open/Close/TurnOn/TurnOff consult: for a region, the
   * joints on the site's own body (the drawer's `top_level`; none for a site on a fixed part); for
   * an entity, all hinge and slide joints of its bodies.
   */
  jointPositions(name: string): number[];
  /** The BDDL category of an entity (`wooden_cabinet`). Throws for an unknown entity. */
  categoryOf(entity: string): string;
}
